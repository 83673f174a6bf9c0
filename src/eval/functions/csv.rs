//! A CSV reader with the rules of Go's `encoding/csv`, which Terraform's
//! `csvdecode` uses: fields separated by commas, records by `\n` or `\r\n`,
//! blank lines skipped, quoted fields may hold commas, newlines and doubled
//! quotes, and a quote inside an unquoted field is an error.

/// The records of `text`, each with the line it starts on; the error is a
/// message naming the line and column.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let normalized = text.replace("\r\n", "\n");
    let text = normalized.strip_suffix('\r').unwrap_or(&normalized);
    let mut reader = Reader {
        chars: text.chars().peekable(),
        line: 1,
        column: 0,
    };
    let mut records = Vec::new();
    while reader.chars.peek().is_some() {
        if reader.chars.peek() == Some(&'\n') {
            reader.next();
            continue;
        }
        let start = reader.line;
        records.push((start, reader.record()?));
    }
    Ok(records)
}

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error(&self, message: &str) -> String {
        format!(
            "parse error on line {}, column {}: {message}",
            self.line, self.column
        )
    }

    /// One record, consuming the newline that ends it.
    fn record(&mut self) -> Result<Vec<String>, String> {
        let mut fields = Vec::new();
        loop {
            let (field, more) = if self.chars.peek() == Some(&'"') {
                self.next();
                self.quoted()?
            } else {
                self.unquoted()?
            };
            fields.push(field);
            if !more {
                return Ok(fields);
            }
        }
    }

    /// An unquoted field, and whether another field follows on the record.
    fn unquoted(&mut self) -> Result<(String, bool), String> {
        let mut field = String::new();
        loop {
            match self.next() {
                None | Some('\n') => return Ok((field, false)),
                Some(',') => return Ok((field, true)),
                Some('"') => return Err(self.error("bare \" in non-quoted-field")),
                Some(c) => field.push(c),
            }
        }
    }

    /// A quoted field after its opening quote, and whether another field
    /// follows on the record.
    fn quoted(&mut self) -> Result<(String, bool), String> {
        let mut field = String::new();
        loop {
            match self.next() {
                None => return Err(self.error("extraneous or missing \" in quoted-field")),
                Some('"') => match self.chars.peek() {
                    Some('"') => {
                        self.next();
                        field.push('"');
                    }
                    Some(',') => {
                        self.next();
                        return Ok((field, true));
                    }
                    Some('\n') => {
                        self.next();
                        return Ok((field, false));
                    }
                    None => return Ok((field, false)),
                    Some(_) => return Err(self.error("extraneous or missing \" in quoted-field")),
                },
                Some(c) => field.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|(_, f)| f).collect()
    }

    #[test]
    fn splits_records_and_fields() {
        assert_eq!(fields("a,b\n1,2\n"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(fields("a,,\n"), vec![vec!["a", "", ""]]);
        assert_eq!(fields("a\n\n\nb"), vec![vec!["a"], vec!["b"]]);
        assert_eq!(fields(""), Vec::<Vec<String>>::new());
        assert_eq!(fields("\"\"\n"), vec![vec![""]]);
    }

    #[test]
    fn reports_lines_of_records_and_errors() {
        let records = parse("a\n\"x\ny\"\nz").unwrap();
        let lines: Vec<usize> = records.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![1, 2, 4]);
        assert_eq!(
            parse("a\n\"x\"y").unwrap_err(),
            "parse error on line 2, column 3: extraneous or missing \" in quoted-field"
        );
    }
}
