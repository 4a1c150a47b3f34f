// Why something was not done, in the desk's three languages: the shift core's reasons
// (src/console/shift/reason.rs) and the relay's close codes (docs/protocol.md §9). The desk
// process never sends the library's English detail, only the kind and the code, so nothing
// the relay or a library says in English reaches the page.

interface Words {
  reasons: Record<string, string>;
  codes: Record<number, string>;
  closed: (code: number | null) => string;
}

const en: Words = {
  reasons: {
    offline: 'You are offline; the desk is reconnecting.',
    gone_for_good: 'The connection is gone for good. End the shift and start again.',
    other_organisation: 'The server now names another organisation. The desk does not sign in to it.',
    timeout: 'The server did not answer in time.',
    unreachable: 'The server cannot be reached. Check the network and try again.',
    certificate_refused: 'Your certificate is not valid for this server: it may have expired. Ask your organisation.',
    unexpected: 'The server sent something unexpected.',
    does_not_decrypt: 'A message did not decrypt.',
    does_not_open: 'Your identity did not open with that passphrase.',
    missing: 'Your identity holds no certificate.',
    another_identity: 'The installed certificate is for another identity.',
    not_newer: 'The installed certificate is not newer than the one in use.',
  },
  codes: {
    4000: 'The desk and the server speak different versions. Update lifeline.',
    4001: 'The server refused a malformed message.',
    4002: 'A message was too large for the server.',
    4003: 'Too many messages too fast: the server closed the connection.',
    4004: 'The server did not expect that message now.',
    4005: 'The server refused the proof of work.',
    4006: 'The server refused your certificate: it may have expired or been revoked. Ask your organisation.',
    4007: 'The server no longer knows that conversation.',
    4008: 'The server is busy. Try again in a moment.',
    4009: 'The connection was too slow to keep up.',
    4010: 'That conversation has ended.',
    4011: 'Your keys signed in somewhere else (another desk or console), so this connection was closed.',
    4012: 'The connection was quiet for too long.',
    4013: 'The server cannot reach its storage. Try again in a moment.',
    4014: 'The server lost that conversation.',
  },
  closed: (code) => (code === null ? 'The server closed the connection.' : `The server closed the connection (code ${code}).`),
};

const fr: Words = {
  reasons: {
    offline: 'Vous êtes hors ligne ; le bureau se reconnecte.',
    gone_for_good: 'La connexion est perdue pour de bon. Finissez la permanence et recommencez.',
    other_organisation: 'Le serveur indique maintenant une autre organisation. Le bureau ne s’y connecte pas.',
    timeout: 'Le serveur n’a pas répondu à temps.',
    unreachable: 'Le serveur est injoignable. Vérifiez le réseau et réessayez.',
    certificate_refused: 'Votre certificat n’est pas valable pour ce serveur : il a peut-être expiré. Demandez à votre organisation.',
    unexpected: 'Le serveur a envoyé quelque chose d’inattendu.',
    does_not_decrypt: 'Un message ne se déchiffre pas.',
    does_not_open: 'Votre identité ne s’ouvre pas avec cette phrase secrète.',
    missing: 'Votre identité ne contient aucun certificat.',
    another_identity: 'Le certificat installé est celui d’une autre identité.',
    not_newer: 'Le certificat installé n’est pas plus récent que celui en usage.',
  },
  codes: {
    4000: 'Le bureau et le serveur parlent des versions différentes. Mettez lifeline à jour.',
    4001: 'Le serveur a refusé un message mal formé.',
    4002: 'Un message était trop grand pour le serveur.',
    4003: 'Trop de messages trop vite : le serveur a fermé la connexion.',
    4004: 'Le serveur n’attendait pas ce message maintenant.',
    4005: 'Le serveur a refusé la preuve de travail.',
    4006: 'Le serveur a refusé votre certificat : il a peut-être expiré ou été révoqué. Demandez à votre organisation.',
    4007: 'Le serveur ne connaît plus cette conversation.',
    4008: 'Le serveur est occupé. Réessayez dans un instant.',
    4009: 'La connexion était trop lente pour suivre.',
    4010: 'Cette conversation est terminée.',
    4011: 'Vos clés se sont connectées ailleurs (un autre bureau ou console) : cette connexion a été fermée.',
    4012: 'La connexion est restée silencieuse trop longtemps.',
    4013: 'Le serveur n’atteint plus son stockage. Réessayez dans un instant.',
    4014: 'Le serveur a perdu cette conversation.',
  },
  closed: (code) => (code === null ? 'Le serveur a fermé la connexion.' : `Le serveur a fermé la connexion (code ${code}).`),
};

const es: Words = {
  reasons: {
    offline: 'Está sin conexión; el escritorio se reconecta.',
    gone_for_good: 'La conexión se perdió del todo. Termine el turno y empiece de nuevo.',
    other_organisation: 'El servidor indica ahora otra organización. El escritorio no se conecta a él.',
    timeout: 'El servidor no respondió a tiempo.',
    unreachable: 'No se puede llegar al servidor. Revise la red e inténtelo de nuevo.',
    certificate_refused: 'Su certificado no es válido para este servidor: puede haber caducado. Consulte a su organización.',
    unexpected: 'El servidor envió algo inesperado.',
    does_not_decrypt: 'Un mensaje no se pudo descifrar.',
    does_not_open: 'Su identidad no se abre con esa frase secreta.',
    missing: 'Su identidad no contiene ningún certificado.',
    another_identity: 'El certificado instalado es de otra identidad.',
    not_newer: 'El certificado instalado no es más reciente que el que está en uso.',
  },
  codes: {
    4000: 'El escritorio y el servidor usan versiones distintas. Actualice lifeline.',
    4001: 'El servidor rechazó un mensaje mal formado.',
    4002: 'Un mensaje era demasiado grande para el servidor.',
    4003: 'Demasiados mensajes demasiado rápido: el servidor cerró la conexión.',
    4004: 'El servidor no esperaba ese mensaje ahora.',
    4005: 'El servidor rechazó la prueba de trabajo.',
    4006: 'El servidor rechazó su certificado: puede haber caducado o haber sido revocado. Consulte a su organización.',
    4007: 'El servidor ya no conoce esa conversación.',
    4008: 'El servidor está ocupado. Inténtelo de nuevo en un momento.',
    4009: 'La conexión era demasiado lenta.',
    4010: 'Esa conversación ha terminado.',
    4011: 'Sus claves se conectaron en otro lugar (otro escritorio o consola), así que esta conexión se cerró.',
    4012: 'La conexión estuvo inactiva demasiado tiempo.',
    4013: 'El servidor no llega a su almacenamiento. Inténtelo de nuevo en un momento.',
    4014: 'El servidor perdió esa conversación.',
  },
  closed: (code) => (code === null ? 'El servidor cerró la conexión.' : `El servidor cerró la conexión (código ${code}).`),
};

/** Every language's reasons, for the page and its completeness test. */
export const reasonTables: Record<string, Words> = { en, fr, es };

/** A reason as the desk process serialises it (`"offline"`, `{"closed": {"code": 4006}}`), in `lang`. */
export function reasonWords(lang: string, reason: unknown): string {
  const w = reasonTables[lang] ?? en;
  const [kind, inner] = typeof reason === 'string' ? [reason, null] : reason && typeof reason === 'object' ? (Object.entries(reason)[0] ?? ['', null]) : ['', null];
  const fields = (inner ?? {}) as { code?: number | null; kind?: string };
  if (kind === 'closed') return (fields.code != null && w.codes[fields.code]) || w.closed(fields.code ?? null);
  if (kind === 'renewal') return w.reasons[fields.kind ?? ''] ?? w.reasons.unexpected;
  return w.reasons[kind] ?? w.reasons.unexpected;
}
