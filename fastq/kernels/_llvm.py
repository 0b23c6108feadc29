"""Two LLVM instructions numba does not offer: a software prefetch and a float64 bit cast.

- :func:`prefetch` asks the processor for a cache line before a step needs it.  On a large grid
  the model's outcome table no longer stays in the core's cache, and a step's read of it sits on
  its chain of dependent operations (the state picks the Q row, the Q row the action, the action
  the outcome, the outcome the next state).  Once the state ``s`` is known, the kernel asks for
  ``s``'s outcome blocks while it reads the Q row and chooses the action.  A prefetch is a hint:
  it changes no value and never faults, so it needs no bounds check.  The learner kernels use it
  as a compile-time variant, chosen by the size of the model (:mod:`fastq._dispatch`).
- :func:`as_float` reads the 64 bits of an int64 as the float64 they encode: the kernels keep
  each outcome's reward in the same int64 block as its next state and sampling threshold
  (:mod:`fastq._interface`), so one address serves the three.
- Under ``NUMBA_DISABLE_JIT=1`` numba runs the kernels as Python, where an intrinsic cannot be
  called: both then have plain Python twins (a prefetch does nothing; the bit cast is numpy's
  ``view``), so the kernels run, slowly, and give the same numbers.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import config, types
from numba.core import cgutils
from numba.extending import intrinsic

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


@intrinsic
def as_float(typingctx, bits):
    """The float64 whose IEEE-754 bits are the int64 ``bits`` (numpy's ``view(np.float64)``)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def row4(typingctx, arr, index):
    """``(max, mask)`` of the 4 elements ``arr[index:index + 4]`` of a C-contiguous 1-D float array:
    the largest value, and the bit mask of the elements equal to it (bit ``k``: element ``k``).

    Computed on one 4-wide vector -- a load, two shuffles with two compare-and-selects for the
    maximum, one compare and a move of its sign bits for the mask -- instead of four loads and
    seven scalar operations.  The maximum is the scalar tree's, ``max(max(v0, v1), max(v2, v3))``
    with ``a if a > b else b`` at each node, read from the vector's first element, where the
    vector computes exactly that tree (down to the sign of a zero).
    """
    sig = types.Tuple((arr.dtype, types.int64))(arr, index)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        element = context.get_value_type(signature.args[0].dtype)
        vector = ir.VectorType(element, 4)
        pointer = builder.bitcast(builder.gep(data, [args[1]]), vector.as_pointer())
        v = builder.load(pointer, align=signature.args[0].dtype.bitwidth // 8)

        def larger(a, order):
            b = builder.shuffle_vector(a, a, ir.Constant(ir.VectorType(_I32, 4), [_I32(k) for k in order]))
            return builder.select(builder.fcmp_ordered(">", a, b), a, b)

        pairs = larger(v, [1, 0, 3, 2])          # [max(v0, v1), ., max(v2, v3), .]
        best = builder.extract_element(larger(pairs, [2, 3, 0, 1]), _I32(0))
        splat = builder.shuffle_vector(builder.insert_element(ir.Constant(vector, ir.Undefined), best, _I32(0)),
                                       ir.Constant(vector, ir.Undefined), ir.Constant(ir.VectorType(_I32, 4), [_I32(0)] * 4))
        equal = builder.fcmp_ordered("==", v, splat)
        mask = builder.zext(builder.bitcast(equal, ir.IntType(4)), ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [best, mask])

    return sig, codegen


@intrinsic
def as_bits(typingctx, value):
    """The int64 whose bits are those of the float64 ``value`` (the inverse of :func:`as_float`)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


if config.DISABLE_JIT:  # the kernels run as Python: the same operations, without LLVM
    def prefetch(arr, index):  # noqa: F811 - a hint, nothing to do
        """Nothing (``NUMBA_DISABLE_JIT``): a prefetch changes no value."""

    def as_float(bits):  # noqa: F811
        """The float64 whose IEEE-754 bits are the int64 ``bits`` (``NUMBA_DISABLE_JIT``)."""
        return np.int64(bits).view(np.float64)

    def row4(arr, index):  # noqa: F811
        """``(max, mask)`` of ``arr[index:index + 4]`` (``NUMBA_DISABLE_JIT``): the same tree of
        comparisons as the vector's."""
        v0, v1, v2, v3 = arr[index], arr[index + 1], arr[index + 2], arr[index + 3]
        low = v0 if v0 > v1 else v1
        high = v2 if v2 > v3 else v3
        best = low if low > high else high
        return best, np.int64(int(v0 == best) | int(v1 == best) << 1 | int(v2 == best) << 2 | int(v3 == best) << 3)

    def as_bits(value):  # noqa: F811
        """The int64 whose bits are those of the float64 ``value`` (``NUMBA_DISABLE_JIT``)."""
        return np.float64(value).view(np.int64)
