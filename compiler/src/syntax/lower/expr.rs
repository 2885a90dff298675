//! Expressions: precedence applied to the grammar's flat operand/operator list with an explicit
//! stack, calls, and atoms.

use pest::iterators::Pair;

use super::{is_noise, significant, Lowerer};
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::limits::MAX_EXPR_TERMS;
use crate::span::Span;
use crate::syntax::grammar::Rule;

impl Lowerer<'_> {
    /// Applies precedence to the grammar's flat operand/operator list with an explicit operator
    /// stack (shunting-yard), so operator chains never recurse. `not` binds looser than
    /// comparisons (`not a == b` is `not (a == b)`) and tighter than `and`/`or`.
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        if !self.enter(span) {
            return None;
        }
        let result = self.expr_inner(pair, span);
        self.leave();
        result
    }

    fn expr_inner(&mut self, pair: Pair<'_, Rule>, span: Span) -> Option<Expr> {
        // The grammar gives a flat list: prefixes, atoms and operators in source order.
        let children = pair.into_inner();
        // Most expressions are one atom (`x`), or one call (`consent(sms, marketing)`, a path and
        // its arguments): no operator stack.
        let mut first_two = children.clone();
        match (children.len(), first_two.next(), first_two.next()) {
            (1, Some(atom), _) if !matches!(atom.as_rule(), Rule::prefix | Rule::binop) => return self.atom(atom),
            (2, Some(callee), Some(args)) if callee.as_rule() == Rule::path && args.as_rule() == Rule::args => {
                return self.call(callee, args);
            }
            (0 | 1, _, _) => {
                self.malformed(span, "an expression");
                return None;
            }
            _ => {}
        }
        // Terms are counted before any tree is built: a chain of 100,000 `not`s would otherwise
        // become a tree too deep to walk or even to drop. A term is an operand or a prefix
        // operator, each of which can add a level to the tree; binary operators sit between
        // operands and add none of their own, so `a or b` is two terms, as the message says. A
        // call's arguments belong to its name's term. (The exact count runs only when the quick
        // one, every child, is over the limit.)
        if children.len() > MAX_EXPR_TERMS
            && children.clone().filter(|c| !matches!(c.as_rule(), Rule::args | Rule::binop)).count() > MAX_EXPR_TERMS
        {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::J0115,
                    format!("expression has more than {MAX_EXPR_TERMS} terms"),
                    self.file,
                    span,
                )
                .with_label("this expression is too long")
                .with_note(
                    "terms are operands (a name, a literal, a call with its arguments, a parenthesised \
                     expression) and prefix operators (`not`, `-`); binary operators are not counted",
                )
                .with_help("split it into named segments and combine those"),
            );
            return None;
        }
        let mut output: Vec<Expr> = Vec::new();
        let mut ops: Vec<StackOp> = Vec::new();
        let mut children = children.peekable();
        while let Some(child) = children.next() {
            match child.as_rule() {
                Rule::path if children.peek().is_some_and(|next| next.as_rule() == Rule::args) => {
                    let args = children.next();
                    let call = args.and_then(|args| self.call(child, args));
                    output.push(call?);
                }
                Rule::prefix => {
                    let op = if child.as_str().starts_with('-') { UnaryOp::Neg } else { UnaryOp::Not };
                    ops.push(StackOp::Unary(op, self.span(&child)));
                }
                Rule::binop => {
                    let op = binary_op(child.as_str().trim());
                    let Some(op) = op else {
                        self.malformed(span, "an operator");
                        return None;
                    };
                    while let Some(top) = ops.last().copied() {
                        if top.precedence() >= u16::from(op.precedence()) * 2 {
                            ops.pop();
                            apply(&mut output, top)?;
                        } else {
                            break;
                        }
                    }
                    ops.push(StackOp::Binary(op));
                }
                _ => output.push(self.atom(child)?),
            }
        }
        while let Some(top) = ops.pop() {
            apply(&mut output, top)?;
        }
        let result = output.pop();
        if !output.is_empty() {
            self.malformed(span, "an expression");
            return None;
        }
        self.required_node(result, span, "an expression")
    }

    /// An `if` or `else if` condition: an `expr`, or the grammar's fast path for one name or one
    /// call (a `path`, and its `args` when they follow it among `rest`).
    pub(super) fn condition<'i, I>(&mut self, first: Pair<'i, Rule>, rest: &mut std::iter::Peekable<I>) -> Option<Expr>
    where
        I: Iterator<Item = Pair<'i, Rule>>,
    {
        if first.as_rule() != Rule::path {
            return self.expr(first);
        }
        match rest.next_if(|next| next.as_rule() == Rule::args) {
            Some(args) => self.call(first, args),
            None => self.atom(first),
        }
    }

    /// A call: its name, read by the grammar as a path, and the arguments after it. Only a plain
    /// name can be called; `profile.email(x)` is a syntax error here rather than a type error
    /// later, because no field holds a function.
    fn call(&mut self, callee: Pair<'_, Rule>, args: Pair<'_, Rule>) -> Option<Expr> {
        let callee_span = self.span(&callee);
        let callee_text = callee.as_str();
        let span = Span::new(callee_span.start(), self.span(&args).end());
        if callee_text.contains('.') {
            self.diagnostics.push(
                Diagnostic::new(Code::J0101, format!("`{callee_text}` cannot be called"), self.file, callee_span)
                    .with_label("not a function")
                    .with_note("the only function is `consent(channel, category)`"),
            );
            return None;
        }
        let name = self.name(callee_text, callee_span);
        let args = args.into_inner();
        // Exact room (the `)` is a pair of `args` too, so the pairs are counted, not taken).
        let mut arguments = Vec::with_capacity(args.clone().filter(|p| !is_noise(p.as_rule())).count());
        for child in args.filter(|p| !is_noise(p.as_rule())) {
            // An argument that is one name comes as a `path` (the grammar's `arg` fast path).
            let argument = if child.as_rule() == Rule::path { self.atom(child) } else { self.expr(child) };
            arguments.push(argument?);
        }
        Some(Expr { kind: ExprKind::Call { name, args: arguments }, span })
    }

    pub(super) fn atom(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => {
                let inner = significant(pair).next();
                let inner = self.required(inner, span, "an expression")?;
                return self.expr(inner).map(|mut e| {
                    e.span = span;
                    e
                });
            }
            Rule::list => {
                let mut items = Vec::new();
                for child in significant(pair) {
                    items.push(self.expr(child)?);
                }
                ExprKind::List(items)
            }
            Rule::within => {
                let name = significant(pair).next().map(|p| self.ident(p));
                ExprKind::Within(self.required_ident(name, span)?)
            }
            Rule::boolean => ExprKind::Bool(pair.as_str().starts_with("true")),
            Rule::duration => ExprKind::Duration(self.duration(pair)),
            Rule::money => {
                let mut children = pair.into_inner();
                let amount = children.next().map(|p| p.as_str().to_owned());
                let currency = children.next().map(|p| self.ident(p));
                ExprKind::Money {
                    amount: self.required_node(amount, span, "an amount")?,
                    currency: self.required_ident(currency, span)?,
                }
            }
            Rule::number => {
                let text = pair.as_str();
                if text.contains('.') {
                    ExprKind::Decimal(text.to_owned())
                } else {
                    match text.parse::<i64>() {
                        Ok(value) => ExprKind::Int(value),
                        Err(_) => {
                            self.diagnostics.push(
                                Diagnostic::new(Code::J0107, format!("number `{text}` is too large"), self.file, span)
                                    .with_label("does not fit in 64 bits")
                                    .with_help("use a number below 9223372036854775808"),
                            );
                            ExprKind::Int(0)
                        }
                    }
                }
            }
            Rule::string => ExprKind::Str(self.template(pair)),
            Rule::path if pair.as_str() == "now" => ExprKind::Now,
            Rule::path => ExprKind::Path(self.path(pair)),
            _ => {
                self.malformed(span, "an expression");
                return None;
            }
        };
        Some(Expr { kind, span })
    }
}

#[derive(Debug, Clone, Copy)]
enum StackOp {
    Unary(UnaryOp, Span),
    Binary(BinaryOp),
}

impl StackOp {
    /// Doubled precedence, so `not` can sit between `and` (4) and comparisons (6).
    fn precedence(self) -> u16 {
        match self {
            StackOp::Unary(UnaryOp::Not, _) => 5,
            StackOp::Unary(UnaryOp::Neg, _) => 12,
            StackOp::Binary(op) => u16::from(op.precedence()) * 2,
        }
    }
}

fn apply(output: &mut Vec<Expr>, op: StackOp) -> Option<()> {
    match op {
        StackOp::Unary(op, span) => {
            let operand = output.pop()?;
            let span = span.cover(operand.span);
            output.push(Expr { kind: ExprKind::Unary { op, operand: Box::new(operand) }, span });
        }
        StackOp::Binary(op) => {
            let rhs = output.pop()?;
            let lhs = output.pop()?;
            let span = lhs.span.cover(rhs.span);
            output.push(Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span });
        }
    }
    Some(())
}

fn binary_op(text: &str) -> Option<BinaryOp> {
    Some(match text {
        "or" => BinaryOp::Or,
        "and" => BinaryOp::And,
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::Ne,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::Le,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::Ge,
        "in" => BinaryOp::In,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "??" => BinaryOp::Fallback,
        _ => return None,
    })
}
