//! The words of the no-script pages, in every language the widget ships: the widget's own
//! locale files (embedded, so both say the same thing), plus the few sentences only these
//! pages need, kept here together.
//!
//! Must never build a sentence from request data other than the language chosen among
//! these; numbers are filled in from the relay's configuration only.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The languages shipped, in the widget's order: tag, and the widget's locale file.
const LOCALES: [(&str, &str); 10] = [
    (
        "en",
        include_str!("../../../web-widget/src/locales/en.json"),
    ),
    (
        "fr",
        include_str!("../../../web-widget/src/locales/fr.json"),
    ),
    (
        "es",
        include_str!("../../../web-widget/src/locales/es.json"),
    ),
    (
        "pt",
        include_str!("../../../web-widget/src/locales/pt.json"),
    ),
    (
        "ro",
        include_str!("../../../web-widget/src/locales/ro.json"),
    ),
    (
        "bg",
        include_str!("../../../web-widget/src/locales/bg.json"),
    ),
    (
        "uk",
        include_str!("../../../web-widget/src/locales/uk.json"),
    ),
    (
        "ar",
        include_str!("../../../web-widget/src/locales/ar.json"),
    ),
    (
        "vi",
        include_str!("../../../web-widget/src/locales/vi.json"),
    ),
    (
        "zh-Hans",
        include_str!("../../../web-widget/src/locales/zh-Hans.json"),
    ),
];

/// The sentences only the no-script pages say: `(key, [text per language in LOCALES order])`.
/// `{days}` and `{n}` are filled from the configuration.
const OWN: [(&str, [&str; 10]); 10] = [
    (
        "ns_relay_saw",
        [
            "Without JavaScript, this server seals your words for you: it sees them for an instant, then forgets them and your receipt code. With JavaScript on, your own browser seals them and the server never sees them.",
            "Sans JavaScript, ce serveur chiffre vos mots à votre place : il les voit un instant, puis les oublie, ainsi que votre code de reçu. Avec JavaScript, votre propre navigateur les chiffre et le serveur ne les voit jamais.",
            "Sin JavaScript, este servidor cifra sus palabras por usted: las ve un instante y luego las olvida, junto con su código de recibo. Con JavaScript, su propio navegador las cifra y el servidor nunca las ve.",
            "Sem JavaScript, este servidor cifra as suas palavras por si: vê-as por um instante e depois esquece-as, tal como o seu código de recibo. Com JavaScript, o seu próprio navegador cifra-as e o servidor nunca as vê.",
            "Fără JavaScript, acest server îți criptează cuvintele în locul tău: le vede o clipă, apoi le uită, împreună cu codul tău de confirmare. Cu JavaScript, propriul tău browser le criptează și serverul nu le vede niciodată.",
            "Без JavaScript този сървър шифрова думите ви вместо вас: вижда ги за миг, след което ги забравя, заедно с кода ви. С JavaScript вашият браузър ги шифрова и сървърът никога не ги вижда.",
            "Без JavaScript цей сервер шифрує ваші слова замість вас: бачить їх одну мить, а потім забуває їх і ваш код. З JavaScript їх шифрує ваш власний браузер, і сервер їх ніколи не бачить.",
            "من دون JavaScript، يشفّر هذا الخادم كلماتك نيابةً عنك: يراها لحظة ثم ينساها وينسى رمز الإيصال. مع JavaScript، يشفّرها متصفحك بنفسه ولا يراها الخادم أبدًا.",
            "Khi không có JavaScript, máy chủ này mã hóa lời của bạn thay bạn: nó thấy chúng trong chốc lát, rồi quên chúng và mã biên nhận của bạn. Khi bật JavaScript, chính trình duyệt của bạn mã hóa và máy chủ không bao giờ thấy chúng.",
            "不使用 JavaScript 时，由本服务器替您加密：它会在一瞬间看到您的文字，然后忘掉文字和回执码。开启 JavaScript 时，由您自己的浏览器加密，服务器永远看不到。",
        ],
    ),
    (
        "ns_spent",
        [
            "This form is resting: it has taken all it can for this hour. Please try again later. If you are in danger now, call one of these numbers.",
            "Ce formulaire est en pause : il a reçu tout ce qu'il peut pour cette heure. Réessayez plus tard. Si vous êtes en danger maintenant, appelez l'un de ces numéros.",
            "Este formulario está en pausa: ya recibió todo lo que puede en esta hora. Inténtelo más tarde. Si está en peligro ahora, llame a uno de estos números.",
            "Este formulário está em pausa: já recebeu tudo o que pode nesta hora. Tente mais tarde. Se estiver em perigo agora, ligue para um destes números.",
            "Acest formular este în pauză: a primit tot ce poate în această oră. Încearcă mai târziu. Dacă ești în pericol acum, sună la unul dintre aceste numere.",
            "Формулярът е в почивка: прие всичко, което може за този час. Опитайте по-късно. Ако сте в опасност сега, обадете се на някой от тези номера.",
            "Ця форма відпочиває: за цю годину вона прийняла все, що могла. Спробуйте пізніше. Якщо ви в небезпеці зараз, зателефонуйте за одним із цих номерів.",
            "هذا النموذج متوقف مؤقتًا: استقبل كل ما يمكنه في هذه الساعة. حاول لاحقًا. إن كنت في خطر الآن، فاتصل بأحد هذه الأرقام.",
            "Biểu mẫu này đang tạm nghỉ: đã nhận đủ trong giờ này. Vui lòng thử lại sau. Nếu bạn đang gặp nguy hiểm, hãy gọi một trong các số sau.",
            "此表单暂停使用：本小时已接收上限。请稍后再试。如果您现在有危险，请拨打以下号码。",
        ],
    ),
    (
        "ns_kept",
        [
            "Nothing was sent. Your words are below, so they are not lost.",
            "Rien n'a été envoyé. Vos mots sont ci-dessous, pour ne pas les perdre.",
            "No se envió nada. Sus palabras están abajo, para que no se pierdan.",
            "Nada foi enviado. As suas palavras estão abaixo, para não se perderem.",
            "Nu s-a trimis nimic. Cuvintele tale sunt mai jos, ca să nu se piardă.",
            "Нищо не е изпратено. Думите ви са по-долу, за да не се загубят.",
            "Нічого не надіслано. Ваші слова нижче, щоб вони не загубилися.",
            "لم يُرسَل شيء. كلماتك أدناه حتى لا تضيع.",
            "Chưa có gì được gửi. Lời của bạn ở bên dưới để không bị mất.",
            "没有发送任何内容。您的文字在下方，不会丢失。",
        ],
    ),
    (
        "ns_stale",
        [
            "This form was already sent or is too old, so nothing was sent. Please send it again.",
            "Ce formulaire a déjà été envoyé ou est trop ancien : rien n'a été envoyé. Envoyez-le à nouveau.",
            "Este formulario ya se envió o es demasiado antiguo: no se envió nada. Envíelo de nuevo.",
            "Este formulário já foi enviado ou é demasiado antigo: nada foi enviado. Envie-o de novo.",
            "Acest formular a fost deja trimis sau este prea vechi, deci nu s-a trimis nimic. Trimite-l din nou.",
            "Този формуляр вече е изпратен или е твърде стар, затова нищо не е изпратено. Изпратете го отново.",
            "Цю форму вже надіслано або вона застаріла, тому нічого не надіслано. Надішліть її ще раз.",
            "أُرسل هذا النموذج من قبل أو صار قديمًا، فلم يُرسَل شيء. يُرجى إرساله مرة أخرى.",
            "Biểu mẫu này đã được gửi hoặc đã quá cũ nên chưa có gì được gửi. Vui lòng gửi lại.",
            "此表单已发送过或已过期，因此没有发送任何内容。请重新发送。",
        ],
    ),
    (
        "ns_too_long",
        [
            "Too long: at most {n} characters. Nothing was sent.",
            "Trop long : {n} caractères au plus. Rien n'a été envoyé.",
            "Demasiado largo: {n} caracteres como máximo. No se envió nada.",
            "Demasiado longo: no máximo {n} caracteres. Nada foi enviado.",
            "Prea lung: cel mult {n} caractere. Nu s-a trimis nimic.",
            "Твърде дълго: най-много {n} знака. Нищо не е изпратено.",
            "Задовго: щонайбільше {n} символів. Нічого не надіслано.",
            "طويل جدًا: {n} حرفًا على الأكثر. لم يُرسَل شيء.",
            "Quá dài: tối đa {n} ký tự. Chưa có gì được gửi.",
            "太长了：最多 {n} 个字符。没有发送任何内容。",
        ],
    ),
    (
        "ns_holds_title",
        [
            "What this server holds",
            "Ce que ce serveur conserve",
            "Lo que guarda este servidor",
            "O que este servidor guarda",
            "Ce păstrează acest server",
            "Какво пази този сървър",
            "Що зберігає цей сервер",
            "ما يحتفظ به هذا الخادم",
            "Máy chủ này lưu gì",
            "本服务器保存什么",
        ],
    ),
    (
        "ns_holds_tip",
        [
            "Your tip and anything you add, sealed so that only the organisation can read them, until they handle it or for at most {days} days. Their replies, sealed to your receipt code, for at most {days} days.",
            "Votre signalement et vos ajouts, chiffrés pour que seule l'organisation puisse les lire, jusqu'à leur traitement ou {days} jours au plus. Ses réponses, chiffrées pour votre code de reçu, {days} jours au plus.",
            "Su aviso y lo que añada, cifrados para que solo la organización pueda leerlos, hasta que lo traten o {days} días como máximo. Sus respuestas, cifradas para su código de recibo, {days} días como máximo.",
            "A sua denúncia e o que acrescentar, cifrados para que só a organização os possa ler, até ser tratada ou {days} dias no máximo. As respostas, cifradas para o seu código de recibo, {days} dias no máximo.",
            "Sesizarea ta și ce adaugi, criptate astfel încât doar organizația să le poată citi, până o tratează sau cel mult {days} zile. Răspunsurile, criptate pentru codul tău, cel mult {days} zile.",
            "Сигналът ви и добавеното от вас, шифровани така, че само организацията да ги чете, докато го обработи или най-много {days} дни. Отговорите ѝ, шифровани за вашия код, най-много {days} дни.",
            "Ваше повідомлення і те, що ви додасте, зашифровані так, що прочитати їх може лише організація, доки його не опрацюють, або щонайбільше {days} днів. Її відповіді, зашифровані для вашого коду, щонайбільше {days} днів.",
            "بلاغك وما تضيفه، مشفّرَين بحيث لا تقرؤهما إلا المنظمة، حتى تعالجه أو {days} يومًا على الأكثر. وردودها، مشفّرة لرمز إيصالك، {days} يومًا على الأكثر.",
            "Thông tin bạn gửi và những gì bạn thêm, được mã hóa để chỉ tổ chức đọc được, cho đến khi được xử lý hoặc tối đa {days} ngày. Các phản hồi, được mã hóa cho mã biên nhận của bạn, tối đa {days} ngày.",
            "您的线索及补充内容经过加密，只有本机构能读取，保存到处理完毕为止，最多 {days} 天。机构的回复按您的回执码加密，最多保存 {days} 天。",
        ],
    ),
    (
        "ns_holds_none",
        [
            "Nothing about you: no address, no cookie, no receipt code. Your device keeps nothing from these pages.",
            "Rien sur vous : ni adresse, ni cookie, ni code de reçu. Votre appareil ne garde rien de ces pages.",
            "Nada sobre usted: ni dirección, ni cookie, ni código de recibo. Su dispositivo no guarda nada de estas páginas.",
            "Nada sobre si: nem endereço, nem cookie, nem código de recibo. O seu dispositivo não guarda nada destas páginas.",
            "Nimic despre tine: nicio adresă, niciun cookie, niciun cod. Dispozitivul tău nu păstrează nimic din aceste pagini.",
            "Нищо за вас: нито адрес, нито бисквитка, нито код. Устройството ви не пази нищо от тези страници.",
            "Нічого про вас: ні адреси, ні cookie, ні коду. Ваш пристрій нічого не зберігає з цих сторінок.",
            "لا شيء عنك: لا عنوان ولا ملفات تعريف ارتباط ولا رمز إيصال. لا يحتفظ جهازك بشيء من هذه الصفحات.",
            "Không có gì về bạn: không địa chỉ, không cookie, không mã biên nhận. Thiết bị của bạn không lưu gì từ các trang này.",
            "不保存任何关于您的信息：没有地址，没有 Cookie，没有回执码。您的设备不会保留这些页面的任何内容。",
        ],
    ),
    (
        "ns_tip_already",
        [
            "This tip was already received. If you did not see its receipt code, the page that carried it did not reach you, and the code cannot be shown again. To get a new code for replies, send your words again below; the coordinators will then see them twice.",
            "Ce signalement a déjà été reçu. Si vous n'avez pas vu son code de reçu, la page qui le portait ne vous est pas parvenue, et ce code ne peut pas être affiché à nouveau. Pour obtenir un nouveau code et lire les réponses, envoyez vos mots à nouveau ci-dessous ; les coordinateurs les verront alors deux fois.",
            "Este aviso ya se recibió. Si no vio su código de recibo, la página que lo traía no le llegó, y ese código no se puede mostrar de nuevo. Para obtener un código nuevo y leer las respuestas, envíe sus palabras otra vez abajo; los coordinadores las verán dos veces.",
            "Esta denúncia já foi recebida. Se não viu o seu código de recibo, a página que o trazia não lhe chegou, e esse código não pode ser mostrado de novo. Para obter um código novo e ler as respostas, envie as suas palavras outra vez abaixo; os coordenadores vão vê-las duas vezes.",
            "Această sesizare a fost deja primită. Dacă nu i-ai văzut codul de confirmare, pagina care îl aducea nu a ajuns la tine, iar codul nu mai poate fi afișat. Ca să primești un cod nou pentru răspunsuri, trimite din nou cuvintele de mai jos; coordonatorii le vor vedea de două ori.",
            "Този сигнал вече е получен. Ако не сте видели кода му за потвърждение, страницата с него не е стигнала до вас и кодът не може да бъде показан отново. За да получите нов код за отговорите, изпратете думите си отново по-долу; координаторите ще ги видят два пъти.",
            "Це повідомлення вже отримано. Якщо ви не бачили його коду підтвердження, сторінка з ним до вас не дійшла, і цей код не можна показати ще раз. Щоб отримати новий код для відповідей, надішліть свої слова ще раз нижче; координатори побачать їх двічі.",
            "وصل هذا البلاغ من قبل. إن لم ترَ رمز الإيصال الخاص به، فالصفحة التي تحمله لم تصل إليك، ولا يمكن عرض الرمز مرة أخرى. للحصول على رمز جديد لقراءة الردود، أرسل كلماتك مرة أخرى أدناه؛ وسيراها المنسقون مرتين.",
            "Thông tin này đã được nhận. Nếu bạn chưa thấy mã biên nhận, trang chứa mã đã không đến được với bạn và mã đó không thể hiển thị lại. Để có mã mới đọc phản hồi, hãy gửi lại lời của bạn bên dưới; điều phối viên sẽ thấy chúng hai lần.",
            "这条线索已收到。如果你没有看到它的回执码，说明带有回执码的页面没有送达你，该回执码无法再次显示。如需新的回执码以查看回复，请在下方再次发送你的文字；协调员会看到两次。",
        ],
    ),
    (
        "ns_followup_already",
        [
            "Your message was already received, and it is kept once, not twice. Enter your receipt code to read the replies.",
            "Votre message a déjà été reçu, et il n'est gardé qu'une fois. Saisissez votre code de reçu pour lire les réponses.",
            "Su mensaje ya se recibió, y se guarda una sola vez. Escriba su código de recibo para leer las respuestas.",
            "A sua mensagem já foi recebida, e fica guardada uma só vez. Escreva o seu código de recibo para ler as respostas.",
            "Mesajul tău a fost deja primit și este păstrat o singură dată. Introdu codul de confirmare ca să citești răspunsurile.",
            "Съобщението ви вече е получено и се пази само веднъж. Въведете кода си за потвърждение, за да прочетете отговорите.",
            "Ваше повідомлення вже отримано, і воно збережене лише один раз. Введіть код підтвердження, щоб прочитати відповіді.",
            "وصلت رسالتك من قبل، وهي محفوظة مرة واحدة فقط. أدخل رمز الإيصال لقراءة الردود.",
            "Tin nhắn của bạn đã được nhận và chỉ được lưu một lần. Nhập mã biên nhận để đọc phản hồi.",
            "你的消息已收到，只保存一次。请输入你的回执码查看回复。",
        ],
    ),
];

/// One language's words: the widget's locale with the no-script sentences added.
pub struct Words {
    /// The language tag, as in `?lang=` and `<html lang>`.
    pub lang: &'static str,
    texts: HashMap<String, String>,
}

impl Words {
    /// The text for `key`, English if this language lacks it (a test checks none does).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts
            .get(key)
            .or_else(|| ALL[0].texts.get(key))
            .map_or(key, String::as_str)
    }

    /// The text for `key` with `{name}` replaced by `value`.
    pub fn fill(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.get(key)
            .replace(&format!("{{{name}}}"), &value.to_string())
    }

    /// Whether the language reads right to left.
    pub fn rtl(&self) -> bool {
        self.get("_dir") == "rtl"
    }
}

static ALL: LazyLock<Vec<Words>> = LazyLock::new(|| {
    LOCALES
        .iter()
        .enumerate()
        .map(|(i, (lang, json))| {
            let mut texts: HashMap<String, String> = serde_json::from_str(json).unwrap_or_default();
            for (key, per_language) in OWN {
                texts.insert(key.to_owned(), per_language[i].to_owned());
            }
            Words { lang, texts }
        })
        .collect()
});

/// Every shipped language, English first.
pub fn all() -> &'static [Words] {
    &ALL
}

/// The words of `lang` if it is shipped, else English.
pub fn of(lang: Option<&str>) -> &'static Words {
    lang.and_then(|l| ALL.iter().find(|w| w.lang == l))
        .unwrap_or(&ALL[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_word_the_pages_use() {
        for words in all() {
            assert!(words.texts.len() > 40, "{}: locale parsed", words.lang);
            for key in super::super::page::KEYS {
                assert!(words.texts.contains_key(*key), "{} lacks {key}", words.lang);
            }
        }
        assert!(of(Some("ar")).rtl());
        assert_eq!(of(Some("xx")).lang, "en");
        assert!(of(Some("fr")).fill("ns_too_long", "n", 5).contains(" 5 "));
    }
}
