//! The terminal loop of a shift: raw mode and the alternate screen, a thread reading keys,
//! a one-second tick, and the relay connection's events, each fed into the [`App`], which is
//! drawn after every one; the commands it returns go to the connection.
//!
//! It must never print a conversation outside the alternate screen, and it restores the
//! terminal on every exit path.

use std::io::Write;
use std::time::Duration;

use crossterm::event::{self, Event, KeyEventKind};
use crossterm::terminal;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use super::{App, AppEvent, ui};
use crate::clock::Clock;
use crate::console::ConsoleError;
use crate::console::net::NetHandle;
use crate::console::renewal::Renewals;
use crate::console::shift::{NetEvent, Notice, Reason};

/// Key presses from a blocking reader thread.
fn spawn_key_reader() -> mpsc::UnboundedReceiver<Event> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            match event::poll(Duration::from_millis(250)) {
                Ok(true) => match event::read() {
                    Ok(e) => {
                        if tx.send(e).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {
                    if tx.is_closed() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    rx
}

/// The terminal loop of a shift: the terminal is restored however it ends. `clock` must be
/// the one the shift was started on, so its idle lock measures one time line.
pub async fn run(
    mut app: App,
    mut net: NetHandle,
    clock: Clock,
    mut renewals: Renewals,
) -> Result<(), ConsoleError> {
    let screen = ShiftScreen::enter()?;
    let result = shift_loop(&mut app, &mut net, &clock, &mut renewals).await;
    drop(screen);
    net.finish(Duration::from_secs(2)).await;
    // Said on the main screen too: the alternate one, where the notice was, is gone.
    if result.is_ok() && app.shift.status == Notice::SignedInElsewhere {
        return Err(ConsoleError::SignedInElsewhere);
    }
    result
}

/// Raw mode and the alternate screen, for as long as it lives. Dropped however the loop
/// ends, an error or a panic unwinding through it, the terminal is given back with the
/// conversations off it: a bug must never leave a transcript on screen, nor a terminal
/// that takes no typing. (Not a panic hook: one would also run for a panic in another
/// task, and the loop, still alive, would then draw transcripts on the main screen.)
struct ShiftScreen;

impl ShiftScreen {
    fn enter() -> std::io::Result<Self> {
        terminal::enable_raw_mode()?;
        let screen = Self;
        crossterm::execute!(std::io::stdout(), terminal::EnterAlternateScreen)?;
        Ok(screen)
    }
}

impl Drop for ShiftScreen {
    fn drop(&mut self) {
        let _ = crossterm::execute!(std::io::stdout(), terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

async fn shift_loop(
    app: &mut App,
    net: &mut NetHandle,
    clock: &Clock,
    renewals: &mut Renewals,
) -> Result<(), ConsoleError> {
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let mut keys = spawn_key_reader();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // The connection task lives through a lost connection (it signs in again and says
    // so), so it is heard while offline too; only its end stops the listening.
    let mut net_open = true;
    loop {
        app.shift.wall_clock(clock.unix_s());
        terminal.draw(|frame| ui::draw(frame, app, clock.instant()))?;
        if app.shift.take_bell() {
            print!("\x07");
            std::io::stdout().flush()?;
        }
        let event = tokio::select! {
            key = keys.recv() => match key {
                Some(Event::Key(k)) if k.kind != KeyEventKind::Release => AppEvent::Key(k),
                Some(_) => continue,
                None => break,
            },
            net_event = net.events.recv(), if net_open => match net_event {
                Some(e) => AppEvent::Net(e),
                None => {
                    net_open = false;
                    app.handle(AppEvent::Net(NetEvent::Disconnected(String::new())), clock.instant());
                    // Nothing will sign in again: saying "reconnecting" would be a lie.
                    app.shift.status = Notice::NotDone {
                        reason: Reason::GoneForGood,
                    };
                    continue;
                }
            },
            _ = tick.tick() => {
                renewals.tick(&mut app.shift, clock.instant());
                AppEvent::Tick
            }
        };
        let commands = app.handle(event, clock.instant());
        net.send(renewals.resolve(&mut app.shift, commands));
        if app.shift.quit {
            break;
        }
    }
    Ok(())
}
