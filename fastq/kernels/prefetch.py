"""Software prefetch in numba: start loading a model row before the step needs it.

On a large grid the model's outcome tables (``next_state``, ``cum_prob``, ``reward``: 960 KB each
at 10,000 states) no longer stay in the core's cache, and a step's reads of them sit on its chain
of dependent operations: the state picks the Q row, the Q row the action, the action the outcome
row, the outcome the next state.  Once the state ``s`` is known, the step asks for the whole of
``arr[s]`` (every action's outcomes) while it reads the Q row and chooses the action, so the
outcome row has arrived, or is on its way, when the action is known.  A prefetch is a hint: it
changes no value and never faults, so it needs no bounds check.  On FrozenLake-8x8, where
everything stays in cache, it costs at most a few per cent, within the machine's noise; on a
100 x 100 grid the Q-learning kernel loop runs 1.5-2x faster (docs/performance.md).
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .._config import JIT

_I32 = ir.IntType(32)


@intrinsic
def prefetch(typingctx, arr, index):
    """Prefetch the cache line of element ``index`` of the C-contiguous array ``arr``, counted
    flat (LLVM's ``llvm.prefetch``: a read, kept in every cache level)."""
    sig = types.void(arr, index)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), cgutils.voidptr_t)
        fnty = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, _I32, _I32, _I32])
        name = "llvm.prefetch." + cgutils.voidptr_t.intrinsic_name
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        builder.call(fn, [address, _I32(0), _I32(3), _I32(1)])  # read, high locality, data
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always", **JIT)
def prefetch_row(arr, s):
    """Prefetch ``arr[s]`` of a C-contiguous (S, A, K) array: its first, middle and last element.

    Three lines cover a row of up to 136 bytes (with 8-byte elements, ``A * K <= 17``: the
    compass grids' 4 x 3); of a longer row only those three lines are fetched early.  A loop over
    every line was slower on FrozenLake-8x8 than no prefetch at all.
    """
    n = arr.shape[1] * arr.shape[2]
    first = s * n
    prefetch(arr, first)
    prefetch(arr, first + (n >> 1))
    prefetch(arr, first + n - 1)


@njit(inline="always", **JIT)
def prefetch_model(next_state, cum_prob, reward, s):
    """Prefetch state ``s``'s rows of the model's outcome tables, at the start of a step."""
    prefetch_row(cum_prob, s)
    prefetch_row(next_state, s)
    prefetch_row(reward, s)
