"""Wrong answers to the dimensions assignment."""
from . import Mistake

_SIZE = "def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):\n"
_CHECKS = """    require_int("n", n, 1)
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    require_int("padding", padding, 0)
    require_int("dilation", dilation, 1)
"""

MISTAKES = [
    Mistake("true-division", "conv_output_size",
            _SIZE + _CHECKS + "    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1\n"),
    Mistake("padding-counted-once", "conv_output_size",
            _SIZE + _CHECKS + "    return (n + padding - dilation * (kernel_size - 1) - 1) // stride + 1\n"),
    Mistake("dilation-ignored", "conv_output_size",
            _SIZE + _CHECKS + "    return (n + 2 * padding - kernel_size) // stride + 1\n"),
    Mistake("rounded-up", "conv_output_size",
            _SIZE + "    import math\n" + _CHECKS
            + "    return math.ceil((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1\n"),
    Mistake("no-empty-output-check", "conv_output_size",
            _SIZE + _CHECKS + "    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1\n"),
    Mistake("no-validation", "conv_output_size",
            _SIZE + "    return max(1, (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1)\n"),
    Mistake("width-height-swapped", "conv_output_shape", """
def conv_output_shape(input_shape, num_filters, kernel_size, stride=1, padding=0, dilation=1):
    w1, h1, d1 = input_shape
    return (conv_output_size(h1, kernel_size, stride, padding, dilation),
            conv_output_size(w1, kernel_size, stride, padding, dilation), num_filters)
"""),
    Mistake("depth-kept", "conv_output_shape", """
def conv_output_shape(input_shape, num_filters, kernel_size, stride=1, padding=0, dilation=1):
    w1, h1, d1 = input_shape
    require_int("num_filters", num_filters, 1)
    return (conv_output_size(w1, kernel_size, stride, padding, dilation),
            conv_output_size(h1, kernel_size, stride, padding, dilation), d1)
"""),
    Mistake("bias-forgotten", "conv_param_count", """
def conv_param_count(kernel_size, in_channels, num_filters, bias=True):
    require_int("kernel_size", kernel_size, 1)
    require_int("in_channels", in_channels, 1)
    require_int("num_filters", num_filters, 1)
    return kernel_size * kernel_size * in_channels * num_filters
"""),
    Mistake("input-depth-forgotten", "conv_param_count", """
def conv_param_count(kernel_size, in_channels, num_filters, bias=True):
    require_int("kernel_size", kernel_size, 1)
    require_int("num_filters", num_filters, 1)
    return kernel_size * kernel_size * num_filters + (num_filters if bias else 0)
"""),
    Mistake("pool-rounded-up", "pool_output_size", """
def pool_output_size(n, kernel_size, stride):
    import math
    require_int("n", n, 1)
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    if kernel_size > n:
        raise ValueError("kernel_size is larger than the input")
    return math.ceil((n - kernel_size) / stride) + 1
"""),
    Mistake("pool-true-division", "pool_output_size", """
def pool_output_size(n, kernel_size, stride):
    require_int("n", n, 1)
    require_int("kernel_size", kernel_size, 1)
    require_int("stride", stride, 1)
    if kernel_size > n:
        raise ValueError("kernel_size is larger than the input")
    return (n - kernel_size) / stride + 1
"""),
    Mistake("fc-bias-forgotten", "fc_param_count", """
def fc_param_count(in_features, out_features, bias=True):
    require_int("in_features", in_features, 1)
    require_int("out_features", out_features, 1)
    return in_features * out_features
"""),
    Mistake("receptive-field-stride-ignored", "receptive_field", """
def receptive_field(layers):
    if len(layers) == 0:
        raise ValueError("layers must not be empty")
    return 1 + sum((k - 1) * d for k, s, d in layers)
"""),
    Mistake("receptive-field-dilation-ignored", "receptive_field", """
def receptive_field(layers):
    if len(layers) == 0:
        raise ValueError("layers must not be empty")
    field, jump = 1, 1
    for k, s, d in layers:
        field += (k - 1) * jump
        jump *= s
    return field
"""),
    Mistake("receptive-field-own-stride", "receptive_field", """
def receptive_field(layers):
    if len(layers) == 0:
        raise ValueError("layers must not be empty")
    field, jump = 1, 1
    for k, s, d in layers:
        jump *= s
        field += (k - 1) * d * jump
    return field
"""),
]
