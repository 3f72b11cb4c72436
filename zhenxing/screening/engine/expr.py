"""A tiny expression language for rule conditions and reported values.

Rules say `F.self_pay`, `P.medical_lifted_threshold`, `F.stage.isin(P.education_cost_stages)`,
`(F.direct_loss >= P.disaster_loss_threshold) | F.house_damage.isin(P.disaster_damage_levels)`.
The compiler renders these trees to SQL for one dialect and binds every parameter as a literal made
here (`literal`): numbers are formatted from `Decimal`/`int`, strings are quoted and escaped for the
dialect, lists become `IN` lists. Rule text never reaches SQL as a string, so a parameter value cannot
change a query's shape. Reported values are computed in Python from the fetched columns
(`compile_value`, `text`), so both backends print the same strings.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


class EngineError(ValueError):
    """A problem with the rules, parameters or snapshot; the message is Chinese and says what to fix."""


class Expr:
    """A node; combine with >=, >, <, <=, &, |, ~, +, -, * and the methods below."""

    def __ge__(self, other: Any) -> Expr:
        return Compare(">=", self, wrap(other))

    def __gt__(self, other: Any) -> Expr:
        return Compare(">", self, wrap(other))

    def __le__(self, other: Any) -> Expr:
        return Compare("<=", self, wrap(other))

    def __lt__(self, other: Any) -> Expr:
        return Compare("<", self, wrap(other))

    def eq(self, other: Any) -> Expr:
        return Compare("=", self, wrap(other))

    def isin(self, choices: Any) -> Expr:
        return In(self, wrap(choices))

    def __and__(self, other: Expr) -> Expr:
        return Logic("AND", (self, other))

    def __or__(self, other: Expr) -> Expr:
        return Logic("OR", (self, other))

    def __invert__(self) -> Expr:
        return Not(self)

    def __add__(self, other: Any) -> Expr:
        return Arith("+", self, wrap(other))

    def __sub__(self, other: Any) -> Expr:
        return Arith("-", self, wrap(other))

    def __mul__(self, other: Any) -> Expr:
        return Arith("*", self, wrap(other))

    def __rmul__(self, other: Any) -> Expr:
        return Arith("*", wrap(other), self)

    def __truediv__(
        self, other: Any
    ) -> Expr:  # reported values only: SQL dialects divide decimals differently
        return Arith("/", self, wrap(other))

    def __bool__(self) -> bool:
        raise TypeError(
            "rule conditions combine with & | ~, not and/or/not, and are never chained (a < b < c)"
        )


@dataclass(frozen=True, eq=False)
class Col(Expr):
    name: str


@dataclass(frozen=True, eq=False)
class Param(Expr):
    key: str


@dataclass(frozen=True, eq=False)
class Const(Expr):
    value: Any


@dataclass(frozen=True, eq=False)
class Compare(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class In(Expr):
    left: Expr
    choices: Expr  # a Param holding a list, or a Const tuple


@dataclass(frozen=True, eq=False)
class Logic(Expr):
    op: str
    items: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Not(Expr):
    item: Expr


@dataclass(frozen=True, eq=False)
class Arith(Expr):
    op: str
    left: Expr
    right: Expr


def wrap(value: Any) -> Expr:
    return value if isinstance(value, Expr) else Const(value)


class _Names:
    def __init__(self, make):
        self._make = make

    def __getattr__(self, name: str) -> Expr:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._make(name)


F = _Names(Col)  # F.self_pay: a column of the rule's source (or `total`)
P = _Names(Param)  # P.medical_lifted_threshold: a per-year parameter


def walk(node: Expr):
    """Every node of a tree, the root first."""
    yield node
    children: tuple[Expr, ...] = ()
    if isinstance(node, Compare | Arith):
        children = (node.left, node.right)
    elif isinstance(node, In):
        children = (node.left, node.choices)
    elif isinstance(node, Logic):
        children = node.items
    elif isinstance(node, Not):
        children = (node.item,)
    for child in children:
        yield from walk(child)


def params_of(node: Expr | None) -> list[str]:
    return [] if node is None else [n.key for n in walk(node) if isinstance(n, Param)]


def columns_of(node: Expr | None) -> list[str]:
    return [] if node is None else [n.name for n in walk(node) if isinstance(n, Col)]


# --- literals -------------------------------------------------------------------------------------------
def quote_standard(text: str) -> str:
    """A standard SQL string literal (DuckDB): quotes doubled, backslashes are ordinary characters."""
    return "'" + _checked(text).replace("'", "''") + "'"


def quote_backslash(text: str) -> str:
    """A Spark SQL string literal: backslash is the escape character there."""
    return "'" + _checked(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _checked(text: str) -> str:
    if not isinstance(text, str):
        raise EngineError(f"参数值“{text!r}”应为文字")
    if "\x00" in text:
        raise EngineError("参数值中含有不可见的控制字符，请检查后重新保存")
    return text


def decimal_literal(value: Decimal) -> str:
    """`CAST('5000.00' AS DECIMAL(6,2))`: exact in both dialects (a bare 1.5 may be read as a double)."""
    if not value.is_finite():
        raise EngineError(f"参数值“{value}”不是有效的数")
    text = format(value, "f")
    whole, _, fraction = text.lstrip("-").partition(".")
    scale = len(fraction)
    precision = max(len(whole.lstrip("0")) + scale, 1)
    if precision > 38:
        raise EngineError(f"参数值“{text}”过大")
    return f"CAST('{text}' AS DECIMAL({precision},{scale}))"


def literal(value: Any, quote) -> str:
    """A SQL literal for a typed parameter value; anything unexpected is refused, never stringified."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Decimal):
        return decimal_literal(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    raise EngineError(f"参数值“{value!r}”的类型（{type(value).__name__}）不能用于筛查规则")


def in_list(values: Any, quote) -> str | None:
    """`('高中', '中职')` for a non-empty list of strings; None for an empty list."""
    if isinstance(values, str) or not isinstance(values, tuple | list | frozenset | set):
        raise EngineError(f"参数值“{values!r}”应为选项列表")
    items = sorted(values) if isinstance(values, set | frozenset) else list(values)
    if not items:
        return None
    return "(" + ", ".join(literal(_checked(v), quote) for v in items) + ")"


# --- evaluation of reported values -----------------------------------------------------------------------
def compile_value(node: Expr, index: dict[str, int], params: Mapping[str, Any]) -> Callable[[tuple], Any]:
    """A function computing a reported value from a result row (columns at `index`), made once per rule.

    Arithmetic is done in Decimal and rounded half up to two places; an empty operand (or a division by
    zero) gives an empty value.
    """
    if isinstance(node, Col):
        return operator.itemgetter(index[node.name])
    if isinstance(node, Param | Const):
        value = params[node.key] if isinstance(node, Param) else node.value
        return lambda row: value
    if isinstance(node, Arith):
        apply = _OPERATORS[node.op]
        left, right = compile_value(node.left, index, params), compile_value(node.right, index, params)

        def arithmetic(row: tuple) -> Decimal | None:
            a, b = left(row), right(row)
            if a is None or b is None or (node.op == "/" and b == 0):
                return None
            return apply(Decimal(a), Decimal(b)).quantize(CENT, rounding=ROUND_HALF_UP)

        return arithmetic
    raise EngineError("报告值只能是列、参数或它们的四则运算")


def text(value: Any) -> str:
    """How a value reads in `Hit.values`: Decimals keep their places, dates are ISO, lists joined by 、."""
    kind = type(value)
    if kind is str:
        return value
    if kind is Decimal:
        return str(value) if value.as_tuple().exponent <= 0 and value.adjusted() >= -6 else format(value, "f")
    if kind is date:
        return value.isoformat()
    if value is None:
        return ""
    if kind is bool:
        return "是" if value else "否"
    if kind is tuple or kind is list:
        return "、".join(text(v) for v in value)
    return str(value)
