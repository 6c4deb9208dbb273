"""The worked examples of 05-06 (example_input, example_kernel); the conv-matrix figure and panel are
tested in test_scene_matrix.py, the scatter in test_scene_scatter.py."""

from __future__ import annotations

import time

import pytest
import torch

from course_utils import example_input, example_kernel


def test_examples_are_the_worked_example():
    torch.testing.assert_close(example_input(2), torch.tensor([[0.0, 1], [2, 3]]))
    torch.testing.assert_close(example_kernel(2), torch.tensor([[1.1, 2.2], [3.3, 4.4]]))


def test_example_kernel_is_one_point_one_times_one_two_three():
    for size in range(1, 30):
        expected = torch.tensor([round(1.1 * (i + 1), 1) for i in range(size * size)]).reshape(size, size)
        assert torch.equal(example_kernel(size), expected)
        assert torch.equal(example_input(size), torch.arange(size * size).reshape(size, size).float())


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: example_input(10**9), ValueError, r"^example_input\(size=1,000,000,000\) would hold 1,000,000,000,000,000,000"),
        (lambda: example_kernel(10**9), ValueError, r"^example_kernel\(size=1,000,000,000\) would hold"),
        (lambda: example_kernel(0), ValueError, r"^size must be positive, got 0"),
        (lambda: example_input("2"), TypeError, r"^size must be a whole number, got '2'"),
    ],
)
def test_examples_refuse_bad_sizes_quickly(call, error, match):
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        call()
    assert time.perf_counter() - start < 0.5
