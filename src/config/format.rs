//! The canonical layout of definition files (`terrace fmt`): Terraform's,
//! as its `hclwrite.Format` makes it.
//!
//! The text is split into tokens that keep every byte (comments included),
//! then three passes decide only the whitespace between tokens, line by
//! line: indentation from bracket nesting (two spaces a level), one space
//! or none between tokens, and `=` and trailing comments aligned in runs
//! of consecutive attribute lines. Heredoc bodies and string contents are
//! never changed. Entry point: [`format`].

/// The kinds of token the layout rules tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Newline,
    /// `# …` or `// …` with its newline: ends a line.
    LineComment,
    /// `/* … */`.
    BlockComment,
    Ident,
    Number,
    OQuote,
    CQuote,
    /// Literal text inside quotes or a heredoc.
    Lit,
    /// `${`
    Interp,
    /// `%{`
    Control,
    /// The `}` that closes `${` or `%{`.
    SeqEnd,
    /// `<<EOT` or `<<-EOT` with its newline.
    OHeredoc,
    /// The heredoc's closing line.
    CHeredoc,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Comma,
    Dot,
    Ellipsis,
    Equal,
    Colon,
    Question,
    Minus,
    Bang,
    /// Other operators: `+ * / % == != < <= > >= && || =>`.
    Op,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    spaces: usize,
    /// Byte offset in the source (0 for tokens formatting adds).
    at: usize,
}

/// Syntax that Terraform's parser refuses although hcl-edit's (which
/// terrace uses to read definitions) accepts it, or takes exponential time
/// to refuse: `terrace fmt` refuses it as `terraform fmt` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Byte offset of the offending text.
    pub offset: usize,
    /// The error's summary: Terraform's for a multi-line string and a bad
    /// number; terrace's own for brackets (Terraform's parser words those
    /// by where it stopped: "Invalid expression", "Unclosed configuration
    /// block", …).
    pub summary: &'static str,
    pub detail: String,
}

/// Reformats HCL source text; `None` when it cannot be tokenized (an
/// unterminated string, heredoc or comment), which the caller reports
/// with the parser's diagnostic.
pub fn format(src: &str) -> Option<String> {
    let tokens = unwrap_values(scan(src).ok()?);
    let mut lines = split_lines(tokens);
    indent(&mut lines);
    spaces(&mut lines);
    cells(&mut lines);
    let mut out = String::with_capacity(src.len());
    for line in &lines {
        for t in line.lead.iter().chain(&line.assign).chain(&line.comment) {
            out.extend(std::iter::repeat_n(' ', t.spaces));
            out.push_str(&t.text);
        }
    }
    Some(out)
}

/// Every comment in the text, in order: what formatting must keep.
pub fn comments(src: &str) -> Option<Vec<String>> {
    Some(
        scan(src)
            .ok()?
            .into_iter()
            .filter(|t| matches!(t.kind, Kind::LineComment | Kind::BlockComment))
            .map(|t| t.text.trim_end().to_string())
            .collect(),
    )
}

fn bracket_change(k: Kind) -> i32 {
    match k {
        Kind::OBrace | Kind::OBrack | Kind::OParen | Kind::Interp | Kind::Control => 1,
        Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::SeqEnd => -1,
        _ => 0,
    }
}

/// What the tokenizer is inside of.
enum Frame {
    /// Expressions; `braces` counts `{` opened since the frame began, so
    /// that the `}` closing `${` is told from an object's. `opened`: the
    /// `${` (or `%{`) that began it, as its token's kind and offset.
    Expr {
        braces: usize,
        interp: bool,
        opened: Option<(Kind, usize)>,
    },
    /// Between quotes.
    Quoted,
    /// A heredoc's body, up to the line holding only `marker`.
    Heredoc { marker: String, line_start: bool },
}

/// What Terraform refuses in `src` that hcl-edit does not (see
/// [`Refusal`]): a quoted string split over lines, a malformed number
/// literal or legacy index (`1.2.3`, `a.0.1`), an unclosed or mismatched
/// bracket, a string or heredoc never closed (hcl-edit ends a heredoc at a
/// line that only starts with its marker), and template directives out of
/// balance (hcl-edit reads on past a heredoc's end to find an `endfor`).
/// Linear in the length of the text, so it runs before the parser.
pub fn refusal(src: &str) -> Option<Refusal> {
    scan(src).err().flatten()
}

/// The tokens of `src`; `Err(None)` when it cannot be split (an
/// unterminated string, heredoc or comment), `Err(Some(_))` for syntax
/// Terraform refuses.
fn scan(src: &str) -> Result<Vec<Token>, Option<Refusal>> {
    let mut refused = None;
    match tokenize(src, &mut refused) {
        Some(tokens) if refused.is_none() => {
            match brackets(&tokens).or_else(|| directives(src, &tokens)) {
                Some(r) => Err(Some(r)),
                None => Ok(tokens),
            }
        }
        _ => Err(refused),
    }
}

/// Brackets, `${` and `%{` closed in order (Terraform reports the first
/// one left open, or a closing one that matches nothing).
fn brackets(tokens: &[Token]) -> Option<Refusal> {
    let mut open: Vec<&Token> = Vec::new();
    for t in tokens {
        let closes = match t.kind {
            Kind::OBrace | Kind::OBrack | Kind::OParen | Kind::Interp | Kind::Control => {
                open.push(t);
                continue;
            }
            Kind::CBrace => Kind::OBrace,
            Kind::CBrack => Kind::OBrack,
            Kind::CParen => Kind::OParen,
            Kind::SeqEnd => Kind::Interp,
            _ => continue,
        };
        let matched = open.last().is_some_and(|o| {
            o.kind == closes || (closes == Kind::Interp && o.kind == Kind::Control)
        });
        if !matched {
            return Some(Refusal {
                offset: t.at,
                summary: "Unexpected closing bracket",
                detail: "This closes a bracket that is not open here: brackets, `${` and `%{` must close in the order they open.".into(),
            });
        }
        open.pop();
    }
    let o = open.first()?;
    let (summary, detail) = match o.kind {
        Kind::OBrace => (
            "Unclosed brace",
            "This `{` (a block or an object) is never closed.",
        ),
        Kind::OBrack => ("Unclosed bracket", "This `[` is never closed."),
        Kind::OParen => ("Unclosed parenthesis", "This `(` is never closed."),
        _ => (
            "Unterminated template sequence",
            "This `${` or `%{` is never closed with `}`.",
        ),
    };
    Some(Refusal {
        offset: o.at,
        summary,
        detail: detail.into(),
    })
}

/// The directives of every template (a quoted string or a heredoc) in
/// balance, as Terraform's template parser wants them: `%{ if }` …
/// `%{ else }` … `%{ endif }` and `%{ for }` … `%{ endfor }`, closed inside
/// the template that opens them, and no other keyword after `%{`. The
/// summaries and details are Terraform's. Runs on brackets already closed
/// in order.
fn directives(src: &str, tokens: &[Token]) -> Option<Refusal> {
    /// An open directive: its keyword, whether `else` was seen, where.
    struct Open<'a> {
        keyword: &'a str,
        has_else: bool,
        at: usize,
    }
    // One list of open directives per template being read (the innermost
    // last); a template inside `${ }` is one of its own.
    let mut templates: Vec<Vec<Open>> = Vec::new();
    let mut rest = tokens.iter();
    while let Some(t) = rest.next() {
        match t.kind {
            Kind::OQuote | Kind::OHeredoc => templates.push(Vec::new()),
            Kind::CQuote | Kind::CHeredoc => {
                let open = templates.pop()?;
                if let Some(o) = open.last() {
                    let (line, column) = crate::diag::line_col(src, o.at);
                    let end = if o.keyword == "for" {
                        "endfor"
                    } else {
                        "endif"
                    };
                    return Some(Refusal {
                        offset: t.at,
                        summary: "Unexpected end of template",
                        detail: format!(
                            "The {} directive at line {line}, column {column} is missing its corresponding {end} directive.",
                            o.keyword
                        ),
                    });
                }
            }
            Kind::Control => {
                let open = templates.last_mut()?;
                let mut after = rest.clone().filter(|n| n.kind != Kind::Newline);
                let keyword = after
                    .next()
                    .filter(|k| k.kind == Kind::Ident)
                    .map(|k| k.text.as_str());
                let unbalanced = |keyword: &str| Refusal {
                    offset: t.at,
                    summary: match keyword {
                        "else" => "Unexpected else directive",
                        "endif" => "Unexpected endif directive",
                        _ => "Unexpected endfor directive",
                    },
                    detail: "The control directives within this template are unbalanced.".into(),
                };
                match keyword {
                    Some(keyword @ ("if" | "for")) => open.push(Open {
                        keyword,
                        has_else: false,
                        at: t.at,
                    }),
                    Some(keyword @ ("else" | "endif" | "endfor")) => {
                        let top = open.last_mut();
                        match (keyword, top) {
                            ("else", Some(o)) if o.keyword == "if" && !o.has_else => {
                                o.has_else = true;
                            }
                            ("endif", Some(o)) if o.keyword == "if" => {
                                open.pop();
                            }
                            ("endfor", Some(o)) if o.keyword == "for" => {
                                open.pop();
                            }
                            _ => return Some(unbalanced(keyword)),
                        }
                        if after.next().is_none_or(|n| n.kind != Kind::SeqEnd) {
                            return Some(Refusal {
                                offset: t.at,
                                summary: match keyword {
                                    "else" => "Extra characters in else marker",
                                    "endif" => "Extra characters in endif marker",
                                    _ => "Extra characters in endfor marker",
                                },
                                detail: "Expected a closing brace to end the sequence, but found extra characters.".into(),
                            });
                        }
                    }
                    Some(other) => {
                        return Some(Refusal {
                            offset: t.at,
                            summary: "Invalid template control keyword",
                            detail: format!("\"{other}\" is not a valid template control keyword."),
                        });
                    }
                    None => {
                        return Some(Refusal {
                            offset: t.at,
                            summary: "Invalid template directive",
                            detail: "A template directive keyword (\"if\", \"for\", etc) is expected at the beginning of a %{ sequence.".into(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// A number literal as Terraform's scanner takes it: digits, dots and
/// exponents (`e`, an optional sign, a digit), not ending with a dot.
fn number_len(b: &[u8]) -> usize {
    let (mut i, mut end) = (0, 0);
    while i < b.len() {
        match b[i] {
            d if d.is_ascii_digit() => {
                i += 1;
                end = i;
            }
            b'.' => i += 1,
            b'e' | b'E' => {
                let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
                if !b.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
                    break;
                }
                i += 2 + sign;
                end = i;
            }
            _ => break,
        }
    }
    end
}

/// Whether Terraform reads `text` (as [`number_len`] cut it) as a number:
/// at most one dot, before the exponent, and at most one exponent.
fn valid_number(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(e) => (&text[..e], Some(&text[e + 1..])),
        None => (text, None),
    };
    mantissa.matches('.').count() <= 1
        && exponent.is_none_or(|x| {
            let x = x.strip_prefix(['+', '-']).unwrap_or(x);
            !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit())
        })
}

/// Where the innermost string or heredoc still open began: the last
/// `open` token not closed after it (templates nest through `${ }`).
fn opened(out: &[Token], open: Kind) -> usize {
    let close = if open == Kind::OQuote {
        Kind::CQuote
    } else {
        Kind::CHeredoc
    };
    let mut depth = 0usize;
    for t in out.iter().rev() {
        if t.kind == close {
            depth += 1;
        } else if t.kind == open {
            if depth == 0 {
                return t.at;
            }
            depth -= 1;
        }
    }
    0
}

/// A string or heredoc that the text ends inside, at its opening.
fn unterminated(offset: usize) -> Refusal {
    Refusal {
        offset,
        summary: "Unterminated template string",
        detail: "No closing marker was found for the string.".into(),
    }
}

fn tokenize(src: &str, refused: &mut Option<Refusal>) -> Option<Vec<Token>> {
    let b = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut stack = vec![Frame::Expr {
        braces: 0,
        interp: false,
        opened: None,
    }];
    let mut i = 0;
    // Every token's text is a slice of `src`: its offset is where it starts.
    let push = |out: &mut Vec<Token>, kind: Kind, text: &str| {
        out.push(Token {
            kind,
            text: text.to_string(),
            spaces: 0,
            at: (text.as_ptr() as usize).saturating_sub(src.as_ptr() as usize),
        })
    };
    while i < b.len() {
        match stack.last_mut()? {
            Frame::Heredoc { marker, line_start } => {
                let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                if *line_start && src[i..end].trim() == marker.as_str() {
                    push(&mut out, Kind::CHeredoc, src[i..end].trim_end_matches('\r'));
                    stack.pop();
                    i = end;
                    continue;
                }
                if *line_start && end >= b.len() {
                    *refused = Some(unterminated(opened(&out, Kind::OHeredoc)));
                    return None;
                }
                // Literal text up to a sequence or the end of the line
                // (the newline is part of the text).
                let start = i;
                let mut stop = None;
                while i < b.len() {
                    match b[i] {
                        b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                            if i > start && b[i - 1] == b[i] {
                                i += 2;
                                continue;
                            }
                            stop = Some(i);
                            break;
                        }
                        b'\n' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                *line_start = stop.is_none();
                if i > start {
                    push(&mut out, Kind::Lit, &src[start..i]);
                }
                if let Some(at) = stop {
                    let kind = if b[at] == b'$' {
                        Kind::Interp
                    } else {
                        Kind::Control
                    };
                    push(&mut out, kind, &src[at..at + 2]);
                    stack.push(Frame::Expr {
                        braces: 0,
                        interp: true,
                        opened: Some((kind, at)),
                    });
                    i = at + 2;
                    if b.get(i) == Some(&b'~') {
                        out.last_mut()?.text.push('~');
                        i += 1;
                    }
                }
            }
            Frame::Quoted => {
                let start = i;
                while i < b.len() {
                    match b[i] {
                        b'\\' if b.get(i + 1) != Some(&b'\n') => i += 2,
                        b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                            // `$${` and `%%{` are escapes, not sequences.
                            if i > start && b[i - 1] == b[i] {
                                i += 2;
                                continue;
                            }
                            break;
                        }
                        b'"' | b'\n' => break,
                        _ => i += 1,
                    }
                }
                let i_end = i.min(b.len());
                if i_end > start {
                    push(&mut out, Kind::Lit, &src[start..i_end]);
                }
                i = i_end;
                match b.get(i) {
                    Some(b'"') => {
                        push(&mut out, Kind::CQuote, &src[i..i + 1]);
                        stack.pop();
                        i += 1;
                    }
                    Some(b'$') | Some(b'%') => {
                        let kind = if b[i] == b'$' {
                            Kind::Interp
                        } else {
                            Kind::Control
                        };
                        push(&mut out, kind, &src[i..i + 2]);
                        stack.push(Frame::Expr {
                            braces: 0,
                            interp: true,
                            opened: Some((kind, i)),
                        });
                        i += 2;
                        // `~` strip markers stay glued to the brace.
                        if b.get(i) == Some(&b'~') {
                            out.last_mut()?.text.push('~');
                            i += 1;
                        }
                    }
                    Some(b'\n') => {
                        *refused = Some(Refusal {
                            offset: i,
                            summary: "Invalid multi-line string",
                            detail: "Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.".into(),
                        });
                        return None;
                    }
                    _ => {
                        *refused = Some(unterminated(opened(&out, Kind::OQuote)));
                        return None;
                    }
                }
            }
            Frame::Expr { braces, interp, .. } => {
                let c = b[i];
                match c {
                    b' ' | b'\t' | b'\r' => i += 1,
                    b'\n' => {
                        push(&mut out, Kind::Newline, &src[i..i + 1]);
                        i += 1;
                    }
                    b'#' => {
                        let end = src[i..].find('\n').map_or(b.len(), |n| i + n + 1);
                        push(
                            &mut out,
                            Kind::LineComment,
                            src[i..end].trim_end_matches([' ', '\t', '\r', '\n']),
                        );
                        if end > i && b[end - 1] == b'\n' {
                            out.last_mut()?.text.push('\n');
                        }
                        i = end;
                    }
                    b'/' if b.get(i + 1) == Some(&b'/') => {
                        let end = src[i..].find('\n').map_or(b.len(), |n| i + n + 1);
                        push(
                            &mut out,
                            Kind::LineComment,
                            src[i..end].trim_end_matches([' ', '\t', '\r', '\n']),
                        );
                        if end > i && b[end - 1] == b'\n' {
                            out.last_mut()?.text.push('\n');
                        }
                        i = end;
                    }
                    b'/' if b.get(i + 1) == Some(&b'*') => {
                        let end = src[i + 2..].find("*/").map(|n| i + 2 + n + 2)?;
                        push(&mut out, Kind::BlockComment, &src[i..end]);
                        i = end;
                    }
                    b'"' => {
                        push(&mut out, Kind::OQuote, &src[i..i + 1]);
                        stack.push(Frame::Quoted);
                        i += 1;
                    }
                    b'<' if b.get(i + 1) == Some(&b'<')
                        && b.get(i + 2)
                            .is_some_and(|&n| n == b'-' || n.is_ascii_alphabetic()) =>
                    {
                        let nl = src[i..].find('\n').map(|n| i + n)?;
                        let header = src[i..nl].trim_end();
                        let marker = header
                            .trim_start_matches("<<")
                            .trim_start_matches('-')
                            .to_string();
                        push(&mut out, Kind::OHeredoc, header);
                        out.last_mut()?.text.push('\n');
                        i = nl + 1;
                        stack.push(Frame::Heredoc {
                            marker,
                            line_start: true,
                        });
                    }
                    b'{' => {
                        *braces += 1;
                        push(&mut out, Kind::OBrace, &src[i..i + 1]);
                        i += 1;
                    }
                    b'}' if *braces == 0 && *interp => {
                        stack.pop();
                        push(&mut out, Kind::SeqEnd, &src[i..i + 1]);
                        i += 1;
                    }
                    b'~' if *braces == 0 && *interp && b.get(i + 1) == Some(&b'}') => {
                        stack.pop();
                        push(&mut out, Kind::SeqEnd, &src[i..i + 2]);
                        i += 2;
                    }
                    b'}' => {
                        *braces = braces.saturating_sub(1);
                        push(&mut out, Kind::CBrace, &src[i..i + 1]);
                        i += 1;
                    }
                    b'[' | b']' | b'(' | b')' | b',' | b':' | b'?' | b'-' => {
                        let kind = match c {
                            b'[' => Kind::OBrack,
                            b']' => Kind::CBrack,
                            b'(' => Kind::OParen,
                            b')' => Kind::CParen,
                            b',' => Kind::Comma,
                            b':' => Kind::Colon,
                            b'?' => Kind::Question,
                            _ => Kind::Minus,
                        };
                        push(&mut out, kind, &src[i..i + 1]);
                        i += 1;
                    }
                    b'.' if src[i..].starts_with("...") => {
                        push(&mut out, Kind::Ellipsis, &src[i..i + 3]);
                        i += 3;
                    }
                    b'.' => {
                        push(&mut out, Kind::Dot, &src[i..i + 1]);
                        i += 1;
                    }
                    b'=' | b'!' | b'<' | b'>' | b'&' | b'|' | b'+' | b'*' | b'/' | b'%' => {
                        let two = src.get(i..i + 2).unwrap_or("");
                        let (kind, len) = match two {
                            "==" | "!=" | "<=" | ">=" | "&&" | "||" | "=>" => (Kind::Op, 2),
                            _ => match c {
                                b'=' => (Kind::Equal, 1),
                                b'!' => (Kind::Bang, 1),
                                _ => (Kind::Op, 1),
                            },
                        };
                        push(&mut out, kind, &src[i..i + len]);
                        i += len;
                    }
                    c if c.is_ascii_digit() => {
                        let start = i;
                        i += number_len(&b[i..]);
                        let text = &src[start..i];
                        let index = out.last().is_some_and(|t| t.kind == Kind::Dot);
                        if index && text.contains('.') {
                            *refused = Some(Refusal {
                                offset: start,
                                summary: "Invalid legacy index syntax",
                                detail: "When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax instead, like [1][2].".into(),
                            });
                            return None;
                        }
                        if !index && !valid_number(text) {
                            *refused = Some(Refusal {
                                offset: start,
                                summary: "Invalid number literal",
                                detail: "Failed to recognize the value of this number literal."
                                    .into(),
                            });
                            return None;
                        }
                        push(&mut out, Kind::Number, text);
                    }
                    _ => {
                        let start = i;
                        let rest = &src[i..];
                        let len = rest
                            .char_indices()
                            .find(|&(n, ch)| {
                                // As HCL reads identifiers: Unicode's
                                // XID_Continue (combining marks too), `-`.
                                !(unicode_ident::is_xid_continue(ch) || (ch == '-' && n > 0))
                            })
                            .map_or(rest.len(), |(n, _)| n);
                        // Anything else is kept as one character.
                        let len = if len == 0 {
                            rest.chars().next().map_or(1, char::len_utf8)
                        } else {
                            len
                        };
                        push(&mut out, Kind::Ident, &src[start..start + len]);
                        i = start + len;
                    }
                }
            }
        }
    }
    if stack.len() != 1 {
        // The text ends inside a `${`, as Terraform tells apart (inside a
        // `%{` it says the string is unterminated).
        if let Some(Frame::Expr {
            opened: Some((Kind::Interp, at)),
            ..
        }) = stack.last()
        {
            *refused = Some(Refusal {
                offset: *at,
                summary: "Unclosed template interpolation sequence",
                detail: "There is no closing brace for this interpolation sequence before the end of the file. This might be caused by incorrect nesting inside the given expression.".into(),
            });
            return None;
        }
        // The text ends inside a string or heredoc.
        let open = stack.iter().rev().find_map(|f| match f {
            Frame::Quoted => Some(Kind::OQuote),
            Frame::Heredoc { .. } => Some(Kind::OHeredoc),
            Frame::Expr { .. } => None,
        });
        *refused = open.map(|k| unterminated(opened(&out, k)));
        return None;
    }
    Some(out)
}

/// Terraform's own normalisations of attribute values (its `fmt`, beyond
/// `hclwrite`): an attribute whose value is only `"${EXPR}"` becomes
/// `EXPR`, and in a `variable` block, `type = "string"` (the old quoted
/// form) becomes `type = string` (`"list"` and `"map"` become
/// `list(string)` and `map(string)`; bare `list` and `map`, `list(any)` and
/// `map(any)`). Object attributes inside expressions are left alone.
fn unwrap_values(tokens: Vec<Token>) -> Vec<Token> {
    // What each open `{` is: a block body (with the block's type) or an
    // object; the file itself is a body.
    enum Ctx {
        Body(String),
        Object,
    }
    let mut stack: Vec<Ctx> = vec![Ctx::Body(String::new())];
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    let mut line_start = true;
    while i < tokens.len() {
        let t = &tokens[i];
        if line_start
            && matches!(stack.last(), Some(Ctx::Body(_)))
            && t.kind == Kind::Ident
            && tokens.get(i + 1).is_some_and(|n| n.kind == Kind::Equal)
        {
            // The value: up to the end of the line at bracket depth 0.
            let start = i + 2;
            let mut depth = 0;
            let mut end = start;
            while end < tokens.len() {
                let k = tokens[end].kind;
                if depth == 0 && (k == Kind::Newline || k == Kind::LineComment) {
                    break;
                }
                depth += bracket_change(k);
                if depth < 0 {
                    break;
                }
                end += 1;
            }
            let block = match stack.last() {
                Some(Ctx::Body(name)) => name.as_str(),
                _ => "",
            };
            let value = &tokens[start..end];
            let replaced = if block == "variable" && t.text == "type" {
                type_expr(value)
            } else {
                None
            }
            .or_else(|| interpolation_only(value));
            out.push(t.clone());
            out.push(tokens[i + 1].clone());
            match replaced {
                Some(v) => out.extend(v),
                None => out.extend(value.iter().cloned()),
            }
            // Brackets inside the value still open and close contexts.
            for v in value {
                track(&mut stack, v.kind);
            }
            i = end;
            line_start = false;
            continue;
        }
        track_with_header(&mut stack, &out, t);
        line_start =
            t.kind == Kind::Newline || t.kind == Kind::LineComment && t.text.ends_with('\n');
        out.push(t.clone());
        i += 1;
    }

    fn track(stack: &mut Vec<Ctx>, k: Kind) {
        match k {
            Kind::OBrace => stack.push(Ctx::Object),
            Kind::CBrace if stack.len() > 1 => {
                stack.pop();
            }
            _ => {}
        }
    }

    fn track_with_header(stack: &mut Vec<Ctx>, out: &[Token], t: &Token) {
        match t.kind {
            Kind::OBrace => {
                // A block's `{` follows its labels, on a line that starts
                // with the block type in a body.
                let line: Vec<&Token> = out
                    .iter()
                    .rev()
                    .take_while(|x| !(x.kind == Kind::Newline || x.kind == Kind::LineComment))
                    .collect();
                let first = line.last();
                let is_block = matches!(stack.last(), Some(Ctx::Body(_)))
                    && first.is_some_and(|f| f.kind == Kind::Ident)
                    && !line.iter().any(|x| x.kind == Kind::Equal)
                    && out
                        .last()
                        .is_some_and(|p| matches!(p.kind, Kind::Ident | Kind::CQuote));
                if is_block {
                    stack.push(Ctx::Body(first.map(|f| f.text.clone()).unwrap_or_default()));
                } else {
                    stack.push(Ctx::Object);
                }
            }
            Kind::CBrace if stack.len() > 1 => {
                stack.pop();
            }
            _ => {}
        }
    }
    out
}

/// `"${EXPR}"` alone → `EXPR` (in parentheses when it spans lines).
fn interpolation_only(value: &[Token]) -> Option<Vec<Token>> {
    let n = value.len();
    if n < 5
        || value[0].kind != Kind::OQuote
        || value[1].kind != Kind::Interp
        || value[1].text != "${"
        || value[n - 2].kind != Kind::SeqEnd
        || value[n - 2].text != "}"
        || value[n - 1].kind != Kind::CQuote
    {
        return None;
    }
    let inside = &value[2..n - 2];
    let mut nesting = 0;
    for t in inside {
        match t.kind {
            Kind::Interp | Kind::Control | Kind::OQuote => nesting += 1,
            Kind::SeqEnd | Kind::CQuote => nesting -= 1,
            _ => {}
        }
        if nesting < 0 {
            return None;
        }
    }
    let mut v: Vec<Token> = inside.to_vec();
    if v.iter().any(|t| t.kind == Kind::Newline) {
        v.insert(0, tok(Kind::OParen, "("));
        v.push(tok(Kind::CParen, ")"));
    }
    Some(v)
}

/// The old quoted type constraints of a `variable` block.
fn type_expr(value: &[Token]) -> Option<Vec<Token>> {
    let word = match value {
        [q, lit, c]
            if q.kind == Kind::OQuote && lit.kind == Kind::Lit && c.kind == Kind::CQuote =>
        {
            match lit.text.as_str() {
                "string" => return Some(vec![tok(Kind::Ident, "string")]),
                "list" | "map" => (lit.text.as_str(), "string"),
                _ => return None,
            }
        }
        [w] if w.kind == Kind::Ident && (w.text == "list" || w.text == "map") => {
            (w.text.as_str(), "any")
        }
        _ => return None,
    };
    Some(vec![
        tok(Kind::Ident, word.0),
        tok(Kind::OParen, "("),
        tok(Kind::Ident, word.1),
        tok(Kind::CParen, ")"),
    ])
}

fn tok(kind: Kind, text: &str) -> Token {
    Token {
        kind,
        text: text.to_string(),
        spaces: 0,
        at: 0,
    }
}

/// One line: what comes before `=`, the `=` and the value, and a trailing
/// comment; the line's newline (or line comment) ends the last cell.
#[derive(Default)]
struct Line {
    lead: Vec<Token>,
    assign: Vec<Token>,
    comment: Vec<Token>,
}

fn split_lines(tokens: Vec<Token>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut cur = Vec::new();
    for t in tokens {
        let ends = matches!(t.kind, Kind::Newline)
            || t.kind == Kind::LineComment && t.text.ends_with('\n');
        cur.push(t);
        if ends {
            lines.push(Line {
                lead: std::mem::take(&mut cur),
                ..Line::default()
            });
        }
    }
    if !cur.is_empty() {
        lines.push(Line {
            lead: cur,
            ..Line::default()
        });
    }
    for line in &mut lines {
        if line.lead.len() > 1
            && line
                .lead
                .last()
                .is_some_and(|t| t.kind == Kind::LineComment)
        {
            line.comment = line.lead.split_off(line.lead.len() - 1);
        }
        if let Some(i) = line
            .lead
            .iter()
            .skip(1)
            .position(|t| t.kind == Kind::Equal)
            .map(|p| p + 1)
        {
            let mut net = 0;
            for t in &line.lead[i..] {
                net += bracket_change(t.kind);
                if t.kind == Kind::OHeredoc {
                    break;
                }
            }
            if net == 0 {
                line.assign = line.lead.split_off(i);
            }
        }
    }
    lines
}

fn indent(lines: &mut [Line]) {
    let mut indents: Vec<i32> = Vec::new();
    for line in lines.iter_mut() {
        let Some(first) = line.lead.first() else {
            continue;
        };
        if first.kind == Kind::Newline {
            line.lead[0].spaces = 0;
            continue;
        }
        let mut net = 0;
        for t in line.lead.iter().chain(&line.assign) {
            net += bracket_change(t.kind);
            if t.kind == Kind::OHeredoc {
                break;
            }
        }
        let level = match net {
            n if n > 0 => {
                let level = indents.len();
                indents.push(n);
                level
            }
            n if n < 0 => {
                let mut closed = -n;
                while closed > 0 {
                    let Some(top) = indents.last_mut() else {
                        break;
                    };
                    if closed >= *top {
                        closed -= *top;
                        indents.pop();
                    } else {
                        *top -= closed;
                        closed = 0;
                    }
                }
                indents.len()
            }
            _ => indents.len(),
        };
        line.lead[0].spaces = 2 * level;
    }
}

fn space_after(
    subject: Kind,
    before: Option<&Token>,
    after: Option<Kind>,
    subject_text: &str,
) -> bool {
    let Some(after) = after else {
        return false;
    };
    let closes = |k: Kind| bracket_change(k) < 0;
    match (subject, after) {
        (_, Kind::Newline | Kind::LineComment) => false,
        (Kind::Ident, Kind::OParen) => false,
        (Kind::Dot, _) | (_, Kind::Dot) => false,
        (_, Kind::Comma | Kind::Ellipsis) => false,
        (Kind::Comma, _) => true,
        (Kind::OQuote | Kind::Lit | Kind::OHeredoc, _)
        | (_, Kind::Lit | Kind::CQuote | Kind::CHeredoc) => false,
        (Kind::Ident, _)
            if subject_text == "in" && before.is_some_and(|b| b.kind == Kind::Ident) =>
        {
            true
        }
        (s, Kind::OBrack) if s == Kind::Ident || s == Kind::Number || closes(s) => false,
        (Kind::Minus, _) => {
            !matches!(
                before.map(|b| b.kind),
                None | Some(
                    Kind::OParen
                        | Kind::OBrace
                        | Kind::OBrack
                        | Kind::Equal
                        | Kind::Colon
                        | Kind::Comma
                        | Kind::Question
                        | Kind::Minus
                        | Kind::Bang
                        | Kind::Interp
                        | Kind::Control
                )
            ) && !before.is_some_and(|b| b.kind == Kind::Op)
        }
        (Kind::Bang, _) => false,
        (Kind::OBrace, Kind::CBrace) => false,
        (Kind::OBrace, _) | (_, Kind::CBrace) => true,
        (Kind::Interp | Kind::Control, Kind::OBrace) => true,
        (Kind::CBrace, Kind::SeqEnd) => true,
        (Kind::SeqEnd, Kind::Interp | Kind::Control) => false,
        (s, _) if bracket_change(s) > 0 => false,
        (_, a) if bracket_change(a) < 0 => false,
        _ => true,
    }
}

fn spaces(lines: &mut [Line]) {
    for line in lines.iter_mut() {
        for cell in [&mut line.lead, &mut line.assign] {
            for i in 0..cell.len() {
                let after = cell.get(i + 1).map(|t| t.kind);
                let space = space_after(
                    cell[i].kind,
                    i.checked_sub(1).map(|j| &cell[j]),
                    after,
                    &cell[i].text,
                );
                // `1 .2` joined would read as the number `1.2` (terraform
                // fmt joins it, and then refuses its own output).
                let joins_number = cell[i].kind == Kind::Number
                    && after == Some(Kind::Dot)
                    && cell.get(i + 2).is_some_and(|t| t.kind == Kind::Number);
                if let Some(next) = cell.get_mut(i + 1) {
                    next.spaces = usize::from(space || joins_number);
                }
            }
        }
        if let Some(first) = line.assign.first_mut() {
            first.spaces = 1;
        }
    }
}

/// Width of a cell as printed: its tokens and the spaces before them.
fn columns(cell: &[Token]) -> usize {
    cell.iter().map(|t| t.spaces + t.text.chars().count()).sum()
}

fn cells(lines: &mut [Line]) {
    // `=` first: moving it moves the comments.
    let mut start: Option<usize> = None;
    let mut max = 0;
    let close = |lines: &mut [Line], from: usize, to: usize, max: usize| {
        for l in &mut lines[from..to] {
            let w = columns(&l.lead);
            l.assign[0].spaces = max - w + 1;
        }
    };
    for i in 0..lines.len() {
        if lines[i].assign.is_empty() {
            if let Some(s) = start.take() {
                close(lines, s, i, max);
                max = 0;
            }
        } else {
            start.get_or_insert(i);
            max = max.max(columns(&lines[i].lead));
        }
    }
    if let Some(s) = start.take() {
        close(lines, s, lines.len(), max);
    }
    // Then trailing comments.
    let width = |l: &Line| {
        let assign: usize = columns(&l.assign);
        columns(&l.lead) + assign
    };
    let mut max = 0;
    let close = |lines: &mut [Line], from: usize, to: usize, max: usize| {
        for l in &mut lines[from..to] {
            let w = width(l);
            l.comment[0].spaces = max - w + 1;
        }
    };
    for i in 0..lines.len() {
        if lines[i].comment.is_empty() {
            if let Some(s) = start.take() {
                close(lines, s, i, max);
                max = 0;
            }
        } else {
            start.get_or_insert(i);
            max = max.max(width(&lines[i]));
        }
    }
    if let Some(s) = start.take() {
        close(lines, s, lines.len(), max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_equals_indents_and_spaces_like_terraform() {
        let src = "variable \"a\" {\ntype = string\n   default=\"x\" # c\n}\n";
        assert_eq!(
            format(src).unwrap(),
            "variable \"a\" {\n  type    = string\n  default = \"x\" # c\n}\n"
        );
    }

    #[test]
    fn heredoc_bodies_and_strings_are_kept() {
        let src = "x = <<-EOT\n      keep   this\n    EOT\ny = \"a  ${ b }\"\n";
        assert_eq!(
            format(src).unwrap(),
            "x = <<-EOT\n      keep   this\n    EOT\ny = \"a  ${b}\"\n"
        );
    }
}

#[cfg(test)]
mod fuzz_findings {
    use super::*;

    /// What the `fmt` fuzz target asserts, for one input: `None` when it holds.
    fn broken(src: &str) -> Option<String> {
        if refusal(src).is_some() {
            return None;
        }
        hcl::edit::parser::parse_body(src).ok()?;
        let Some(once) = format(src) else {
            return Some("valid HCL cannot be formatted".into());
        };
        if comments(src) != comments(&once) {
            return Some(format!("formatting lost a comment:\n{once}"));
        }
        if let Err(e) = hcl::edit::parser::parse_body(&once) {
            return Some(format!("formatted text does not parse: {e}\n{once}"));
        }
        let twice = format(&once);
        if twice.as_deref() != Some(once.as_str()) {
            return Some(format!("not idempotent:\n{once}\n---\n{twice:?}"));
        }
        None
    }

    #[test]
    fn identifiers_with_combining_marks_stay_one_identifier() {
        for src in ["y = a\u{304}\n", "vv = m\u{313}b\n"] {
            assert_eq!(format(src).as_deref(), Some(src));
            assert_eq!(broken(src), None);
        }
    }

    #[test]
    fn numbers_end_where_terraforms_scanner_ends_them() {
        // `4.a-` is 4, `.`, `a-`; `x347-44347-4b` is one identifier.
        for src in [
            "a = 4.a-\n",
            "a = 0444.x347-44347-4b.2\n",
            "a = 4e5 + 1e-5\n",
        ] {
            assert_eq!(format(src).as_deref(), Some(src));
            assert_eq!(broken(src), None);
        }
        assert_eq!(format("a = 22.\tt2\n").as_deref(), Some("a = 22.t2\n"));
        // Where Terraform's layout makes a number of two (fuzz finding).
        let src = "a = 2222\t.22\t.22.l2\n";
        assert_eq!(format(src).as_deref(), Some("a = 2222 .22 .22.l2\n"));
        assert_eq!(broken(src), None);
    }

    #[test]
    fn what_terraform_refuses_is_refused_at_the_offending_text() {
        let at = |src: &str| refusal(src).map(|r| (r.offset, r.summary));
        assert_eq!(at("a = \"x\ny\"\n"), Some((6, "Invalid multi-line string")));
        assert_eq!(at("a = <<EOT\n\"x\nEOT\n"), None);
        assert_eq!(at("a = \"${\n1}\"\n"), None);
        assert_eq!(at("a = 1.2.3\n"), Some((4, "Invalid number literal")));
        assert_eq!(at("a = b.0.1\n"), Some((6, "Invalid legacy index syntax")));
        assert_eq!(at("a = b.0\nc = 1.5.x\n"), None);
        assert_eq!(at("a = [{\n"), Some((4, "Unclosed bracket")));
        assert_eq!(at("a = [}\n"), Some((5, "Unexpected closing bracket")));
        assert_eq!(at("a = \"%{if x}y%{endif}\"\n"), None);
    }

    /// testdata/fmt/refused.txt (made by testdata/fmt/generate.py with real
    /// Terraform): each testdata/fmt/refused/NAME.hcl is refused with
    /// Terraform's summary at Terraform's line, except a string or heredoc
    /// never closed, which terrace points at where it opens (Terraform
    /// points past the end of the file).
    #[test]
    fn unbalanced_templates_are_refused_with_terraforms_error_at_its_line() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/fmt");
        let verdicts = std::fs::read_to_string(format!("{root}/refused.txt")).expect("refused.txt");
        let mut wrong = Vec::new();
        for verdict in verdicts.lines() {
            let mut parts = verdict.splitn(3, ' ');
            let (Some(name), Some(line), Some(summary)) =
                (parts.next(), parts.next(), parts.next())
            else {
                panic!("not NAME LINE SUMMARY: {verdict}");
            };
            let src = std::fs::read_to_string(format!("{root}/refused/{name}.hcl")).expect(name);
            let got = refusal(&src).map(|r| {
                let (l, _) = crate::diag::line_col(&src, r.offset);
                (l.to_string(), r.summary)
            });
            let agrees = got.as_ref().is_some_and(|(l, s)| {
                *s == summary && (l == line || summary == "Unterminated template string")
            });
            if !agrees || format(&src).is_some() {
                wrong.push(format!(
                    "{name}: Terraform {line} {summary}, terrace {got:?}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(verdicts.lines().count() >= 27);
    }

    #[test]
    fn an_unclosed_string_or_heredoc_is_refused_where_it_opens() {
        let at = |src: &str| refusal(src).map(|r| (r.offset, r.summary));
        let unterminated = "Unterminated template string";
        assert_eq!(
            at("a = [<<EOT\nx\nEOT ,\n\"y\"]\n"),
            Some((5, unterminated))
        );
        assert_eq!(at("a = 1\nb = \"x"), Some((10, unterminated)));
        assert_eq!(at("a = <<EOT\n${\"x}\"}y"), Some((4, unterminated)));
        assert_eq!(at("a = <<EOT\nx\n  EOT  \n"), None);
    }

    /// testdata/fmt/regressions.txt (made by testdata/fmt/generate.py with
    /// real Terraform): terrace refuses exactly the regressions that
    /// `terraform fmt` refuses, with its summary where terrace words it so.
    #[test]
    fn the_fuzz_findings_are_refused_exactly_where_terraform_fmt_refuses_them() {
        let root = env!("CARGO_MANIFEST_DIR");
        let verdicts = std::fs::read_to_string(format!("{root}/testdata/fmt/regressions.txt"))
            .expect("testdata/fmt/regressions.txt");
        let mut wrong = Vec::new();
        for line in verdicts.lines() {
            let (name, verdict) = line.split_once(' ').expect("NAME VERDICT");
            let src = std::fs::read(format!("{root}/fuzz/regressions/fmt/{name}")).expect(name);
            let got = std::str::from_utf8(&src).ok().and_then(refusal);
            let agrees = match (verdict.strip_prefix("refuses: "), &got) {
                (None, None) => true,
                (Some(summary), Some(r)) => {
                    r.summary == summary || r.summary.starts_with("Unclosed")
                }
                _ => false,
            };
            if !agrees {
                wrong.push(format!("{name}: Terraform {verdict}, terrace {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(verdicts.lines().count() >= 28);
    }

    #[test]
    fn the_fixed_fuzz_findings_format_to_hcl_that_formats_the_same_again() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/regressions/fmt");
        let mut bad = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let Ok(src) = std::fs::read_to_string(&path) else {
                continue;
            };
            seen += 1;
            if let Some(why) = broken(&src) {
                bad.push(format!("== {}\n{src:?}\n{why}", path.display()));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        assert!(seen >= 27, "the regressions are missing from {dir}");
    }
}
