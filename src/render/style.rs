//! Colours and symbols. Colour only when asked for: the CLI decides from
//! `NO_COLOR` and whether the output is a terminal.

use anstyle::{AnsiColor, Style};

/// The change symbols of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sym {
    Add,
    Change,
    Remove,
    /// `-/+`: delete, then create.
    Replace,
    /// `+/-`: create, then delete.
    ReplaceCbd,
    /// `<=`: read.
    Read,
    /// `.`: dropped from state, not destroyed.
    Forget,
    Same,
}

/// Styles text, or not.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub color: bool,
}

impl Palette {
    pub fn plain() -> Palette {
        Palette { color: false }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// The symbol, coloured.
    pub fn sym(&self, s: Sym) -> String {
        let (text, color) = match s {
            Sym::Add => ("+", AnsiColor::Green),
            Sym::Change => ("~", AnsiColor::Yellow),
            Sym::Remove => ("-", AnsiColor::Red),
            Sym::Replace => ("-/+", AnsiColor::Red),
            Sym::ReplaceCbd => ("+/-", AnsiColor::Green),
            Sym::Read => ("<=", AnsiColor::Cyan),
            Sym::Forget => (".", AnsiColor::White),
            Sym::Same => (" ", AnsiColor::White),
        };
        self.paint(Style::new().fg_color(Some(color.into())), text)
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    pub fn comment(&self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }

    pub fn green(&self, text: &str) -> String {
        self.paint(
            Style::new().fg_color(Some(AnsiColor::Green.into())).bold(),
            text,
        )
    }

    pub fn red(&self, text: &str) -> String {
        self.paint(
            Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            text,
        )
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint(
            Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
            text,
        )
    }
}
