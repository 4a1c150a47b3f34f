// The opt-in alert on a new visitor: a short tone and a desktop notification that says only
// that someone is waiting (never any message text, nor who). Off until the coordinator
// turns it on; the choice lives in this page only and is gone on reload.
import { t } from './strings';

let on = false;
let audio: AudioContext | null = null;

export const alertsOn = (): boolean => on;

/** Turns alerts on or off; turning them on asks for the notification permission. */
export function toggleAlerts(): void {
  on = !on;
  if (on) {
    audio ??= new AudioContext();
    if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission();
  }
}

/** A new visitor or a conversation handed to me. */
export function ring(): void {
  if (!on) return;
  if (audio) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 660;
    gain.gain.value = 0.15;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  }
  if ('Notification' in window && Notification.permission === 'granted' && document.hidden) new Notification(t('title'), { body: t('newVisitor'), silent: true });
}
