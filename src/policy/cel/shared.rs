//! Maps and lists whose copies share their contents. The interpreter copies
//! a value each time it owns one it only borrows (`.?field`, `cel.bind`, a
//! comprehension's element, `+`, a variable); its own maps and lists copy
//! every entry, deeply. These wrap one in an `Arc`: a copy is a reference
//! count, at every level of a converted resource. They present themselves
//! to the interpreter as its own map and list (`as_builtin`), so equality,
//! `type()`, conversion to `Value` and the standard library see no
//! difference.

use std::sync::Arc;

use cel::common::traits::{Adder, Container, Indexer, Iterable, Iterator, Sizer, Zeroer};
use cel::common::types::{CelInt, CelList, CelMap, Type};
use cel::common::value::{Builtin, BuiltinRef, CowVal, Val};
use cel::ExecutionError;

/// A map shared by its copies.
#[derive(Debug, Clone)]
pub struct SharedMap(Arc<CelMap<'static>>);

/// A list shared by its copies.
#[derive(Debug, Clone)]
pub struct SharedList(Arc<CelList<'static>>);

impl SharedMap {
    pub fn new(map: CelMap<'static>) -> SharedMap {
        SharedMap(Arc::new(map))
    }
}

impl SharedList {
    pub fn new(list: CelList<'static>) -> SharedList {
        SharedList(Arc::new(list))
    }
}

/// The `Val` methods both delegate to the wrapped value; `$builtin` is
/// the interpreter's variant for it.
macro_rules! shared_val {
    ($ty:ident, $inner:ident, $builtin:ident) => {
        impl Val for $ty {
            fn get_type(&self) -> &Type {
                self.0.get_type()
            }

            fn cel_type() -> &'static Type {
                <$inner as Val>::cel_type()
            }

            fn as_container(&self) -> Option<&dyn Container> {
                self.0.as_container()
            }

            fn as_indexer<'b, 'w>(&'b self) -> Option<&'b (dyn Indexer + 'w)>
            where
                Self: 'w,
            {
                Some(self)
            }

            fn into_indexer<'w>(self: Box<Self>) -> Option<Box<dyn Indexer + 'w>>
            where
                Self: 'w,
            {
                Some(self)
            }

            fn as_iterable<'b, 'w>(&'b self) -> Option<&'b (dyn Iterable + 'w)>
            where
                Self: 'w,
            {
                Some(self)
            }

            fn as_sizer(&self) -> Option<&dyn Sizer> {
                Some(self)
            }

            fn as_zeroer(&self) -> Option<&dyn Zeroer> {
                Some(self)
            }

            fn as_adder<'b, 'w>(&'b self) -> Option<&'b (dyn Adder + 'w)>
            where
                Self: 'w,
            {
                self.0.as_adder()
            }

            fn equals(&self, other: &dyn Val) -> bool {
                self.0.equals(other)
            }

            fn clone_as_boxed<'w>(&self) -> Box<dyn Val + 'w>
            where
                Self: 'w,
            {
                Box::new(self.clone())
            }

            fn as_builtin<'b, 'w>(&'b self) -> BuiltinRef<'b, 'w>
            where
                Self: 'w,
            {
                BuiltinRef::$builtin(&self.0)
            }

            fn into_builtin<'w>(self: Box<Self>) -> Option<Builtin<'w>>
            where
                Self: 'w,
            {
                // A copy of the top level only: its entries are shared.
                Some(Builtin::$builtin(Arc::unwrap_or_clone(self.0)))
            }
        }

        impl Indexer for $ty {
            fn get<'b, 'w>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'w>, ExecutionError>
            where
                Self: 'w,
            {
                self.0.get(idx)
            }

            fn steal<'w>(
                self: Box<Self>,
                idx: &dyn Val,
            ) -> Result<Box<dyn Val + 'w>, ExecutionError>
            where
                Self: 'w,
            {
                self.0.get(idx).map(CowVal::into_owned)
            }
        }

        impl Iterable for $ty {
            fn iter<'b, 'w>(&'b self) -> Box<dyn Iterator<'b, 'w> + 'b>
            where
                Self: 'w,
            {
                self.0.iter()
            }
        }

        impl Sizer for $ty {
            fn size(&self) -> CelInt {
                self.0.size()
            }
        }

        impl Zeroer for $ty {
            fn is_zero_value(&self) -> bool {
                self.0.is_zero_value()
            }
        }
    };
}

shared_val!(SharedMap, CelMap, Map);
shared_val!(SharedList, CelList, List);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::cel::expr::{context, Budget, Expr};
    use crate::yaml::Span;
    use cel::common::types::{CelMapKey, CelString};
    use std::collections::HashMap;

    fn object() -> Box<dyn Val> {
        let c: HashMap<CelMapKey, Box<dyn Val>> = [(
            CelMapKey::from("name".to_string()),
            Box::new(CelString::from("a".to_string())) as Box<dyn Val>,
        )]
        .into_iter()
        .collect();
        let list = SharedList::new(CelList::from(vec![
            Box::new(SharedMap::new(CelMap::from(c))) as Box<dyn Val>,
        ]));
        let m: HashMap<CelMapKey, Box<dyn Val>> = [(
            CelMapKey::from("items".to_string()),
            Box::new(list) as Box<dyn Val>,
        )]
        .into_iter()
        .collect();
        Box::new(SharedMap::new(CelMap::from(m)))
    }

    fn eval(src: &str) -> Result<cel::Value, String> {
        let e = Expr::compile(src, Span::default())?;
        let mut ctx = context(Vec::new());
        ctx.add_variable_as_val("o", object());
        e.eval(&ctx, &std::sync::Arc::new(Budget::default()))
    }

    #[test]
    fn shared_values_behave_as_the_interpreters_own() {
        for src in [
            "o.items[0].name == 'a'",
            "o.items == [{'name': 'a'}]",
            "[{'name': 'a'}] == o.items",
            "o == {'items': [{'name': 'a'}]}",
            "{'items': [{'name': 'a'}]} == o",
            "o.?items.orValue([]).all(i, i.name == 'a')",
            "cel.bind(x, o.items, x + x).size() == 2",
            "(o.items + [{'name': 'b'}]).exists(i, i.name == 'b')",
            "'items' in o && {'name': 'a'} in o.items",
            "size(o) == 1 && o.items.size() == 1",
            "type(o) == map && type(o.items) == list",
            "has(o.items) && !has(o.other)",
            "o.items.map(i, i.name) == ['a']",
            "o.items.filter(i, i.name == 'a').size() == 1",
            "o.?items[?0].?name.orValue('') == 'a'",
            "{'k': o.items}.k[0].name == 'a'",
            "o.items.all(i, i.all(k, k == 'name'))",
        ] {
            assert_eq!(eval(src), Ok(cel::Value::Bool(true)), "{src}");
        }
        // A value the expression returns converts as the interpreter's.
        let v = eval("o.items").unwrap();
        assert!(matches!(v, cel::Value::List(l) if l.len() == 1));
    }
}
