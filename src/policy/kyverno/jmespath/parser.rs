//! Tokens into an expression tree: a Pratt parser with JMESPath's binding
//! powers (as go-jmespath, which Kyverno runs). Function names are checked
//! here, so an unknown function is an error of the policy, not of a run.

use super::lexer::{lex, Cmp, Tok};
use super::names;
use super::value::Json;
use super::Error;

#[derive(Debug, Clone)]
pub(crate) enum Ast {
    Identity,
    Field(String),
    Index(i64),
    Slice([Option<i64>; 3]),
    Literal(Json),
    /// `a.b`, `a[0]`: the right side evaluated on the left's result.
    Sub(Box<Ast>, Box<Ast>),
    /// A list projection (`[*]`, `[]`, slices): rhs on each item, nulls dropped.
    Project(Box<Ast>, Box<Ast>),
    /// `*` on a map: rhs on each value.
    ValueProject(Box<Ast>, Box<Ast>),
    /// `[?cond]`: lhs, rhs, condition.
    Filter(Box<Ast>, Box<Ast>, Box<Ast>),
    Flatten(Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    And(Box<Ast>, Box<Ast>),
    Not(Box<Ast>),
    Cmp(Cmp, Box<Ast>, Box<Ast>),
    Pipe(Box<Ast>, Box<Ast>),
    MultiList(Vec<Ast>),
    MultiHash(Vec<(String, Ast)>),
    Call(String, Vec<Ast>),
    ExpRef(Box<Ast>),
}

/// How deep an expression may nest.
const MAX_DEPTH: usize = 200;

pub(crate) fn parse(src: &str) -> Result<Ast, Error> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    let ast = p.expr(0)?;
    if p.cur() != &Tok::Eof {
        return Err(p.unexpected());
    }
    Ok(ast)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    depth: usize,
}

fn bp(t: &Tok) -> u8 {
    match t {
        Tok::Pipe => 1,
        Tok::Or => 2,
        Tok::And => 3,
        Tok::Cmp(_) => 5,
        Tok::Flatten => 9,
        Tok::Star => 20,
        Tok::Filter => 21,
        Tok::Dot => 40,
        Tok::Not => 45,
        Tok::LBrace => 50,
        Tok::LBracket => 55,
        Tok::LParen => 60,
        _ => 0,
    }
}

fn b(a: Ast) -> Box<Ast> {
    Box::new(a)
}

impl Parser {
    fn cur(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].0
    }

    fn at(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].1
    }

    fn peek(&self, n: usize) -> &Tok {
        &self.toks[(self.i + n).min(self.toks.len() - 1)].0
    }

    fn next(&mut self) -> (Tok, usize) {
        let t = self.toks[self.i.min(self.toks.len() - 1)].clone();
        self.i += 1;
        t
    }

    fn unexpected(&self) -> Error {
        match self.cur() {
            Tok::Eof => Error::new(self.at(), "unexpected end of expression"),
            t => Error::new(self.at(), format!("unexpected token {t:?}")),
        }
    }

    fn expect(&mut self, t: Tok) -> Result<(), Error> {
        if *self.cur() != t {
            return Err(self.unexpected());
        }
        self.i += 1;
        Ok(())
    }

    fn expr(&mut self, power: u8) -> Result<Ast, Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(self.at(), "the expression nests too deeply"));
        }
        let (tok, at) = self.next();
        let mut left = self.nud(tok, at)?;
        while power < bp(self.cur()) {
            let (tok, at) = self.next();
            left = self.led(tok, at, left)?;
        }
        self.depth -= 1;
        Ok(left)
    }

    fn nud(&mut self, tok: Tok, at: usize) -> Result<Ast, Error> {
        Ok(match tok {
            Tok::Lit(v) => Ast::Literal(v),
            Tok::Ident(s) => Ast::Field(s),
            Tok::Quoted(s) => {
                if *self.cur() == Tok::LParen {
                    return Err(Error::new(at, "a quoted name cannot be a function"));
                }
                Ast::Field(s)
            }
            Tok::Star => {
                let right = if *self.cur() == Tok::RBracket {
                    Ast::Identity
                } else {
                    self.projection_rhs(bp(&Tok::Star))?
                };
                Ast::ValueProject(b(Ast::Identity), b(right))
            }
            Tok::Filter => self.filter(Ast::Identity)?,
            Tok::LBrace => self.multi_hash()?,
            Tok::Flatten => {
                let right = self.projection_rhs(bp(&Tok::Flatten))?;
                Ast::Project(b(Ast::Flatten(b(Ast::Identity))), b(right))
            }
            Tok::LBracket => match self.cur() {
                Tok::Num(_) | Tok::Colon => {
                    let idx = self.index()?;
                    self.project_if_slice(Ast::Identity, idx)?
                }
                Tok::Star if *self.peek(1) == Tok::RBracket => {
                    self.i += 2;
                    let right = self.projection_rhs(bp(&Tok::Star))?;
                    Ast::Project(b(Ast::Identity), b(right))
                }
                _ => self.multi_list()?,
            },
            Tok::At => Ast::Identity,
            Tok::Amp => Ast::ExpRef(b(self.expr(0)?)),
            Tok::Not => Ast::Not(b(self.expr(bp(&Tok::Not))?)),
            Tok::LParen => {
                let e = self.expr(0)?;
                self.expect(Tok::RParen)?;
                e
            }
            Tok::Eof => return Err(Error::new(at, "unexpected end of expression")),
            t => return Err(Error::new(at, format!("unexpected token {t:?}"))),
        })
    }

    fn led(&mut self, tok: Tok, at: usize, left: Ast) -> Result<Ast, Error> {
        Ok(match tok {
            Tok::Dot => {
                if *self.cur() == Tok::Star {
                    self.i += 1;
                    let right = self.projection_rhs(bp(&Tok::Dot))?;
                    Ast::ValueProject(b(left), b(right))
                } else {
                    Ast::Sub(b(left), b(self.dot_rhs(bp(&Tok::Dot))?))
                }
            }
            Tok::Pipe => Ast::Pipe(b(left), b(self.expr(bp(&Tok::Pipe))?)),
            Tok::Or => Ast::Or(b(left), b(self.expr(bp(&Tok::Or))?)),
            Tok::And => Ast::And(b(left), b(self.expr(bp(&Tok::And))?)),
            Tok::Cmp(c) => Ast::Cmp(c, b(left), b(self.expr(5)?)),
            Tok::LParen => {
                let Ast::Field(name) = left else {
                    return Err(Error::new(at, "only a name can be called"));
                };
                let mut args = Vec::new();
                while *self.cur() != Tok::RParen {
                    args.push(self.expr(0)?);
                    if *self.cur() == Tok::Comma {
                        self.i += 1;
                    } else if *self.cur() != Tok::RParen {
                        return Err(self.unexpected());
                    }
                }
                self.i += 1;
                names::check(&name, args.len()).map_err(|m| Error::new(at, m))?;
                Ast::Call(name, args)
            }
            Tok::Filter => self.filter(left)?,
            Tok::Flatten => {
                let right = self.projection_rhs(bp(&Tok::Flatten))?;
                Ast::Project(b(Ast::Flatten(b(left))), b(right))
            }
            Tok::LBracket => match self.cur() {
                Tok::Num(_) | Tok::Colon => {
                    let idx = self.index()?;
                    self.project_if_slice(left, idx)?
                }
                _ => {
                    self.expect(Tok::Star)?;
                    self.expect(Tok::RBracket)?;
                    let right = self.projection_rhs(bp(&Tok::Star))?;
                    Ast::Project(b(left), b(right))
                }
            },
            t => return Err(Error::new(at, format!("unexpected token {t:?}"))),
        })
    }

    fn dot_rhs(&mut self, power: u8) -> Result<Ast, Error> {
        match self.cur() {
            Tok::Ident(_) | Tok::Quoted(_) | Tok::Star => self.expr(power),
            Tok::LBracket => {
                self.i += 1;
                self.multi_list()
            }
            Tok::LBrace => {
                self.i += 1;
                self.multi_hash()
            }
            _ => Err(self.unexpected()),
        }
    }

    fn projection_rhs(&mut self, power: u8) -> Result<Ast, Error> {
        match self.cur() {
            t if bp(t) < 10 => Ok(Ast::Identity),
            Tok::LBracket | Tok::Filter => self.expr(power),
            Tok::Dot => {
                self.i += 1;
                self.dot_rhs(power)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn filter(&mut self, left: Ast) -> Result<Ast, Error> {
        let cond = self.expr(0)?;
        self.expect(Tok::RBracket)?;
        let right = if *self.cur() == Tok::Flatten {
            Ast::Identity
        } else {
            self.projection_rhs(bp(&Tok::Filter))?
        };
        Ok(Ast::Filter(b(left), b(right), b(cond)))
    }

    /// `[n]` or a slice `[a:b:c]`, after the `[`.
    fn index(&mut self) -> Result<Ast, Error> {
        let mut parts = [None; 3];
        let mut n = 0;
        loop {
            match self.next() {
                (Tok::Num(v), _) => parts[n] = Some(v),
                (Tok::Colon, _) if n < 2 => n += 1,
                (Tok::RBracket, _) => break,
                (_, at) => return Err(Error::new(at, "invalid index or slice")),
            }
        }
        match (n, parts[0]) {
            (0, Some(i)) => Ok(Ast::Index(i)),
            (0, None) => Err(Error::new(self.at(), "empty index")),
            _ => {
                if parts[2] == Some(0) {
                    return Err(Error::new(self.at(), "a slice step cannot be 0"));
                }
                Ok(Ast::Slice(parts))
            }
        }
    }

    fn project_if_slice(&mut self, left: Ast, idx: Ast) -> Result<Ast, Error> {
        let slice = matches!(idx, Ast::Slice(_));
        let sub = Ast::Sub(b(left), b(idx));
        if !slice {
            return Ok(sub);
        }
        let right = self.projection_rhs(bp(&Tok::Star))?;
        Ok(Ast::Project(b(sub), b(right)))
    }

    fn multi_list(&mut self) -> Result<Ast, Error> {
        let mut items = Vec::new();
        loop {
            items.push(self.expr(0)?);
            match self.next() {
                (Tok::Comma, _) => {}
                (Tok::RBracket, _) => return Ok(Ast::MultiList(items)),
                (_, at) => return Err(Error::new(at, "expected `,` or `]`")),
            }
        }
    }

    fn multi_hash(&mut self) -> Result<Ast, Error> {
        let mut items = Vec::new();
        loop {
            let key = match self.next() {
                (Tok::Ident(s) | Tok::Quoted(s), _) => s,
                (_, at) => return Err(Error::new(at, "expected a key")),
            };
            self.expect(Tok::Colon)?;
            items.push((key, self.expr(0)?));
            match self.next() {
                (Tok::Comma, _) => {}
                (Tok::RBrace, _) => return Ok(Ast::MultiHash(items)),
                (_, at) => return Err(Error::new(at, "expected `,` or `}`")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(matches!(parse("a.b").unwrap(), Ast::Sub(..)));
        assert!(matches!(parse("a[*].b").unwrap(), Ast::Project(..)));
        assert!(matches!(parse("a[].b").unwrap(), Ast::Project(..)));
        assert!(matches!(parse("a[?b=='c']").unwrap(), Ast::Filter(..)));
        assert!(matches!(parse("a || b").unwrap(), Ast::Or(..)));
        assert!(matches!(parse("a | [0]").unwrap(), Ast::Pipe(..)));
        assert!(matches!(parse("{x: a}").unwrap(), Ast::MultiHash(..)));
        assert!(matches!(parse("a.[b, c][]").unwrap(), Ast::Project(..)));
        assert!(matches!(parse("length(@)").unwrap(), Ast::Call(..)));
        assert!(matches!(parse("a[1:2]").unwrap(), Ast::Project(..)));
    }

    #[test]
    fn errors_have_offsets() {
        let e = parse("a.b | nope(@)").unwrap_err();
        assert_eq!(e.offset, 10);
        assert!(e.message.contains("nope"));
        assert!(parse("a.").is_err());
        assert!(parse("a[").is_err());
        assert!(parse("length(@").is_err());
        assert!(parse("a b").is_err());
        assert!(parse(&"(".repeat(500)).is_err());
    }
}
