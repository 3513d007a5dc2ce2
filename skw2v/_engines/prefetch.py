"""``prefetch_row``: start loading a matrix row into the CPU cache before it is needed.

The CPU kernel spends much of its time waiting for rows of the output
matrix that are not in cache (negatives are drawn from the whole
vocabulary). Drawing a group's negatives one group ahead and prefetching
their rows overlaps those waits with the current group's arithmetic. numba
has no prefetch; this is LLVM's ``llvm.prefetch`` on each 64-byte line of
the row. A prefetch never faults and changes no value: only timing.
"""

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

CACHE_LINE = 64


@intrinsic
def prefetch_row(typingctx, matrix, row):
    """Prefetch row ``row`` of a C-contiguous 2-D array (for reading, into all cache levels)."""
    if not (isinstance(matrix, types.Array) and matrix.ndim == 2 and matrix.layout == "C"
            and isinstance(row, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        aryty, rowty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        intp = context.get_value_type(types.intp)
        index = context.cast(builder, args[1], rowty, types.intp)
        row_stride = cgutils.unpack_tuple(builder, ary.strides)[0]
        first = builder.add(builder.ptrtoint(ary.data, intp), builder.mul(index, row_stride))
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0")
        zero, line = ir.Constant(intp, 0), ir.Constant(intp, CACHE_LINE)
        with cgutils.for_range_slice(builder, zero, row_stride, line) as (offset, _):
            address = builder.inttoptr(builder.add(first, offset), i8p)
            # read (0), keep in all levels (3), data cache (1)
            builder.call(prefetch, [address, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.none(matrix, row), codegen
