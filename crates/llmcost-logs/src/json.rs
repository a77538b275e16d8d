//! A minimal, allocation-free JSON walker for log lines.
//!
//! Log lines are large (message content, tool results) but the fields a usage
//! report needs are few and near the top. This walker visits the keys of an
//! object and lets the caller read the values it wants; everything else is
//! skipped with `memchr` over strings, without decoding or validating it
//! beyond its structure. Strings are returned raw (with their escapes) and
//! decoded only when they contain a backslash.

use std::borrow::Cow;

use memchr::memchr2;

/// Why a line is not the JSON we expect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad(pub(crate) &'static str);

pub(crate) type R<T> = Result<T, Bad>;

/// A cursor over one JSON document.
pub(crate) struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Cur<'a> {
        Cur { b, i: 0 }
    }

    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8, what: &'static str) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(Bad(what))
        }
    }

    /// After an opening quote: moves past the closing quote.
    ///
    /// Most strings in log lines are short (keys, ids, times): the first 64
    /// bytes are searched 8 at a time for `"` or `\\` (SWAR), the rest of a
    /// long string with a vector search.
    fn skip_string_body(&mut self) -> R<()> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        const QUOTE: u64 = ONES * b'"' as u64;
        const BACKSLASH: u64 = ONES * b'\\' as u64;
        let b = self.b;
        let mut i = self.i;
        let swar_end = i.saturating_add(64);
        loop {
            while i + 8 <= b.len() && i < swar_end {
                let mut w = [0u8; 8];
                w.copy_from_slice(&b[i..i + 8]);
                let x = u64::from_le_bytes(w);
                let q = x ^ QUOTE;
                let s = x ^ BACKSLASH;
                let m = ((q.wrapping_sub(ONES) & !q) | (s.wrapping_sub(ONES) & !s)) & HIGHS;
                if m != 0 {
                    i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            if i >= swar_end && i + 8 <= b.len() {
                let rest = &b[i..];
                match memchr2(b'"', b'\\', rest) {
                    Some(p) => i += p,
                    None => return Err(Bad("unterminated string")),
                }
            }
            match b.get(i) {
                None => return Err(Bad("unterminated string")),
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(());
                }
                Some(b'\\') => i += 2,
                Some(_) => i += 1,
            }
        }
    }

    /// A string value: its raw bytes between the quotes (escapes kept).
    pub(crate) fn raw_str(&mut self) -> R<&'a [u8]> {
        self.eat(b'"', "expected a string")?;
        let start = self.i;
        self.skip_string_body()?;
        Ok(&self.b[start..self.i - 1])
    }

    /// A string value, decoded.
    pub(crate) fn str(&mut self) -> R<Cow<'a, str>> {
        let raw = self.raw_str()?;
        decode(raw)
    }

    /// A string or `null`.
    pub(crate) fn opt_str(&mut self) -> R<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'"') => self.str().map(Some),
            Some(b'n') => {
                self.skip_value()?;
                Ok(None)
            }
            _ => Err(Bad("expected a string")),
        }
    }

    /// A string's raw bytes, or `None` for `null`.
    pub(crate) fn opt_raw_str(&mut self) -> R<Option<&'a [u8]>> {
        match self.peek() {
            Some(b'"') => self.raw_str().map(Some),
            Some(b'n') => {
                self.skip_value()?;
                Ok(None)
            }
            _ => Err(Bad("expected a string")),
        }
    }

    /// A whole non-negative number, or `None` for `null`.
    pub(crate) fn opt_u64(&mut self) -> R<Option<u64>> {
        count(self.scalar()?)
    }

    /// The position of the next value (after whitespace).
    pub(crate) fn pos(&mut self) -> usize {
        self.ws();
        self.i
    }

    /// `true`, `false` or `null` (as false).
    pub(crate) fn bool(&mut self) -> R<bool> {
        let s = self.scalar()?;
        match s {
            b"true" => Ok(true),
            b"false" | b"null" => Ok(false),
            _ => Err(Bad("expected a boolean")),
        }
    }

    fn scalar(&mut self) -> R<&'a [u8]> {
        self.ws();
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.i += 1;
        }
        if self.i == start {
            return Err(Bad("expected a value"));
        }
        Ok(&self.b[start..self.i])
    }

    /// Skips one value of any type.
    pub(crate) fn skip_value(&mut self) -> R<()> {
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                self.skip_string_body()
            }
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                loop {
                    let Some(&c) = self.b.get(self.i) else {
                        return Err(Bad("unterminated object or array"));
                    };
                    self.i += 1;
                    match c {
                        b'"' => self.skip_string_body()?,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Ok(());
                            }
                        }
                        _ => {}
                    }
                }
            }
            Some(_) => self.scalar().map(|_| ()),
            None => Err(Bad("expected a value")),
        }
    }

    /// The bytes of the next value (skipped).
    pub(crate) fn span(&mut self) -> R<&'a [u8]> {
        self.ws();
        let start = self.i;
        self.skip_value()?;
        Ok(&self.b[start..self.i])
    }

    /// Whether the next value is `null`.
    pub(crate) fn is_null(&mut self) -> bool {
        self.peek() == Some(b'n')
    }

    /// Whether the next value is an object.
    pub(crate) fn is_object(&mut self) -> bool {
        self.peek() == Some(b'{')
    }

    /// Visits the keys of an object. `f` must consume the value of each key
    /// (read it or call [`Cur::skip_value`]).
    pub(crate) fn object(&mut self, mut f: impl FnMut(&mut Cur<'a>, &'a [u8]) -> R<()>) -> R<()> {
        self.eat(b'{', "expected an object")?;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            let key = self.raw_str()?;
            self.eat(b':', "expected `:`")?;
            let before = self.i;
            f(self, key)?;
            if self.i == before {
                return Err(Bad("value not consumed"));
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Bad("expected `,` or `}`")),
            }
        }
    }

    /// Visits the items of an array; `f` must consume each item.
    pub(crate) fn array(&mut self, mut f: impl FnMut(&mut Cur<'a>) -> R<()>) -> R<()> {
        self.eat(b'[', "expected an array")?;
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            let before = self.i;
            f(self)?;
            if self.i == before {
                return Err(Bad("value not consumed"));
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Bad("expected `,` or `]`")),
            }
        }
    }

    /// Nothing but whitespace is left.
    pub(crate) fn end(&mut self) -> R<()> {
        if self.peek().is_none() {
            Ok(())
        } else {
            Err(Bad("trailing characters after the JSON value"))
        }
    }
}

/// A scalar's bytes as a token count: a whole non-negative number, or
/// `None` for `null`.
pub(crate) fn count(s: &[u8]) -> R<Option<u64>> {
    if s == b"null" {
        return Ok(None);
    }
    let mut v: u64 = 0;
    for &d in s {
        if !d.is_ascii_digit() {
            return Err(Bad("a token count is not a whole number"));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(Bad("a token count is too large"))?;
    }
    Ok(Some(v))
}

/// A raw JSON string that is plain ASCII without escapes: its bytes are
/// the text itself.
pub(crate) fn is_plain(raw: &[u8]) -> bool {
    raw.iter().all(|&c| c != b'\\' && c.is_ascii())
}

/// The bytes a raw JSON string stands for: the raw bytes themselves when
/// they are plain ASCII without escapes, else [`decode`]d.
pub(crate) fn decode_bytes(raw: &[u8]) -> R<Cow<'_, [u8]>> {
    if is_plain(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    Ok(match decode(raw)? {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    })
}

/// Decodes the raw bytes of a JSON string.
pub(crate) fn decode(raw: &[u8]) -> R<Cow<'_, str>> {
    if memchr::memchr(b'\\', raw).is_none() {
        return std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|_| Bad("invalid UTF-8 in a string"));
    }
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice::<String>(&quoted)
        .map(Cow::Owned)
        .map_err(|_| Bad("invalid string escape"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_and_skips() {
        let line = br#"{"a":{"x":[1,2,{"y":"}\"]"}]},"b":"he\"llo","c":true,"d":null,"e":12.5}"#;
        let mut c = Cur::new(line);
        let mut seen = Vec::new();
        c.object(|c, k| {
            match k {
                b"b" => seen.push(c.str()?.into_owned()),
                b"c" => seen.push(c.bool()?.to_string()),
                _ => c.skip_value()?,
            }
            Ok(())
        })
        .unwrap();
        c.end().unwrap();
        assert_eq!(seen, vec!["he\"llo".to_string(), "true".to_string()]);
    }

    #[test]
    fn escapes_around_the_short_string_limit() {
        for pad in 28..36 {
            let text = format!("{}\\\"x\\\\", "a".repeat(pad));
            let line = format!(r#"{{"s":"{text}","t":1}}"#);
            let mut c = Cur::new(line.as_bytes());
            let mut got = None;
            c.object(|c, k| {
                if k == b"s" {
                    got = Some(c.str()?.into_owned());
                } else {
                    c.skip_value()?;
                }
                Ok(())
            })
            .unwrap();
            assert_eq!(got.unwrap(), format!("{}\"x\\", "a".repeat(pad)));
        }
    }

    #[test]
    fn truncated_is_an_error() {
        let mut c = Cur::new(br#"{"a":{"x":"abc"#);
        assert!(c.object(|c, _| c.skip_value()).is_err());
        let mut c = Cur::new(br#"{"a":1"#);
        assert!(c.object(|c, _| c.skip_value()).is_err());
    }
}
