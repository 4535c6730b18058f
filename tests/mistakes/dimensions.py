"""Wrong answers to the dimensions assignment."""
from . import edits_of

edit = edits_of("dimensions")

_SIZE_CHECKS = '''    require_int("n", n, 1)
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    require_int("dilation", dilation, 1)
'''
_EMPTY_CHECK = '''    if span > n + 2 * padding:
        raise ValueError(f"kernel_size {kernel_size} with dilation {dilation} spans {span} pixels, "
                         f"more than the padded input ({n + 2 * padding})")
'''
_SIZE = "return (n + 2 * padding - span) // stride + 1"

MISTAKES = [
    edit("true-division", "conv_output_size", ("// stride", "/ stride")),
    edit("padding-counted-once", "conv_output_size", ("(n + 2 * padding - span)", "(n + padding - span)")),
    edit("dilation-ignored", "conv_output_size", ("span = dilation * (kernel_size - 1) + 1", "span = kernel_size")),
    edit("rounded-up", "conv_output_size",
            (_SIZE, "return math.ceil((n + 2 * padding - span) / stride) + 1")),
    edit("no-empty-output-check", "conv_output_size", (_EMPTY_CHECK, "")),
    edit("no-validation", "conv_output_size",
            (_SIZE_CHECKS, ""), (_EMPTY_CHECK, ""), (_SIZE, "return max(1, (n + 2 * padding - span) // stride + 1)")),
    edit("width-height-swapped", "conv_output_shape", ("w1, h1, d1 = input_shape", "h1, w1, d1 = input_shape")),
    edit("depth-kept", "conv_output_shape", ("            num_filters)", "            d1)")),
    edit("bias-forgotten", "conv_param_count", (" + (num_filters if bias else 0)", "")),
    edit("input-depth-forgotten", "conv_param_count", (" * in_channels * ", " * ")),
    edit("pool-rounded-up", "pool_output_size",
            ("return (n - kernel_size) // stride + 1", "return math.ceil((n - kernel_size) / stride) + 1")),
    edit("pool-true-division", "pool_output_size", ("// stride", "/ stride")),
    edit("fc-bias-forgotten", "fc_param_count", (" + (out_features if bias else 0)", "")),
    edit("receptive-field-stride-ignored", "receptive_field", ("        jump *= stride\n", "")),
    edit("receptive-field-dilation-ignored", "receptive_field", (" * dilation * jump", " * jump")),
    edit("receptive-field-own-stride", "receptive_field",  # the jump updated before its layer is counted
            ("        field += (kernel_size - 1) * dilation * jump\n        jump *= stride\n",
             "        jump *= stride\n        field += (kernel_size - 1) * dilation * jump\n")),
]
