//! Instruction streams, PeachPy's `InstructionStream`: code recorded now, emitted later in
//! another order.
//!
//! * `stream!(name => { ... });` evaluates the block and appends what it emits, as one
//!   *row*, to the stream `name` (created, empty, in the outermost scope on first use, so a
//!   loop can add one row per iteration);
//! * `interleave!(a, b, ...);` emits the streams' instructions round-robin, one from each in
//!   turn (labels and alignment travel with the instruction after them) — listing 6's
//!   interleaving of a scalar and a vector computation;
//! * `pipeline!(a, b, ...);` emits row `r` of the output as row `r` of `a`, row `r - 1` of
//!   `b`, row `r - 2` of the next, ... — the columns of a software pipeline shifted by their
//!   stage, prologue and epilogue included (listing 7).

use std::rc::Rc;

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, Token};

use super::{Binding, Evaluator, Value};
use crate::ir::Item;

pub(super) const MACROS: [&str; 3] = ["stream", "interleave", "pipeline"];

/// `name => { ... }`.
struct Record {
    name: Ident,
    body: syn::Block,
}

impl Parse for Record {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name = input.parse()?;
        input.parse::<Token![=>]>()?;
        let body = input.parse()?;
        Ok(Record { name, body })
    }
}

/// One instruction with the labels and alignment before it.
type Unit = Vec<Item>;

impl Evaluator<'_> {
    pub(super) fn stream_macro(&mut self, name: &str, mac: &syn::Macro) {
        match name {
            "stream" => match mac.parse_body::<Record>() {
                Ok(r) => self.record(&r.name, &r.body),
                Err(_) => self.error(
                    mac.path.span(),
                    "write `stream!(name => { instructions });`",
                ),
            },
            _ => match mac.parse_body_with(Punctuated::<Ident, Token![,]>::parse_terminated) {
                Ok(names) if !names.is_empty() => {
                    let mut streams = Vec::with_capacity(names.len());
                    for n in &names {
                        match self.lookup(&n.to_string()).map(|b| &b.value) {
                            Some(Value::Stream(rows)) => streams.push(rows.clone()),
                            Some(Value::Poison) => return,
                            Some(other) => {
                                let what = other.kind();
                                self.error(
                                    n.span(),
                                    format!("`{n}` is {what}, not an instruction stream"),
                                );
                                return;
                            }
                            None => {
                                self.error(n.span(), format!("no instruction stream `{n}`; record one with `stream!({n} => {{ ... }});`"));
                                return;
                            }
                        }
                    }
                    let items = if name == "interleave" {
                        interleave(&streams)
                    } else {
                        pipeline(&streams)
                    };
                    self.items.extend(items);
                }
                _ => self.error(
                    mac.path.span(),
                    format!("write `{name}!(stream, stream, ...);`"),
                ),
            },
        }
    }

    fn record(&mut self, name: &Ident, body: &syn::Block) {
        let key = name.to_string();
        let mut rows = match self.lookup(&key).map(|b| &b.value) {
            Some(Value::Stream(rows)) => rows.as_ref().clone(),
            None => Vec::new(),
            Some(other) => {
                let what = other.kind();
                self.error(
                    name.span(),
                    format!("`{name}` is {what}, not an instruction stream"),
                );
                return;
            }
        };
        let outside = std::mem::take(&mut self.items);
        self.block(body);
        let row = std::mem::replace(&mut self.items, outside);
        rows.push(row);
        let value = Value::Stream(Rc::new(rows));
        match self
            .scopes
            .iter_mut()
            .rev()
            .find_map(|s| s.vars.get_mut(&key))
        {
            Some(b) => b.value = value,
            None => {
                if let Some(outer) = self.scopes.first_mut() {
                    outer.vars.insert(
                        key,
                        Binding {
                            value,
                            mutable: true,
                        },
                    );
                }
            }
        }
    }
}

/// A stream's items cut into units of one instruction each.
fn units(rows: &[Vec<Item>]) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for item in rows.iter().flatten() {
        let is_inst = matches!(item, Item::Inst(_) | Item::Return(..));
        pending.push(item.clone());
        if is_inst {
            out.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

fn interleave(streams: &[Rc<Vec<Vec<Item>>>]) -> Vec<Item> {
    let all: Vec<Vec<Unit>> = streams.iter().map(|s| units(s)).collect();
    let longest = all.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::new();
    for k in 0..longest {
        for s in &all {
            if let Some(u) = s.get(k) {
                out.extend(u.iter().cloned());
            }
        }
    }
    out
}

fn pipeline(columns: &[Rc<Vec<Vec<Item>>>]) -> Vec<Item> {
    let rows = columns.iter().map(|c| c.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for r in 0..rows + columns.len().saturating_sub(1) {
        for (stage, column) in columns.iter().enumerate() {
            if let Some(row) = r.checked_sub(stage).and_then(|i| column.get(i)) {
                out.extend(row.iter().cloned());
            }
        }
    }
    out
}
