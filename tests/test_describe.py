"""The numbers the text alternatives say (models.content.describe), from tensors whose answer is known."""

import numpy as np
import pytest

from models.content import describe


@pytest.mark.parametrize("row, col, expected", [(0, 0, "top_left"), (3, 3, "centre"), (6, 6, "bottom_right"),
                                                (0, 6, "top_right"), (6, 0, "bottom_left"), (3, 0, "left")])
def test_a_point_of_a_7x7_grid_falls_in_its_third(row, col, expected):
    assert describe.region(row, col, 7, 7) == expected


def test_a_single_hot_cell_is_all_of_the_heat_and_says_where_it_is():
    z = np.zeros((7, 7))
    z[1, 0] = 2.0
    found = describe.heat(z)
    assert (found.region, found.region_share, found.cell_share) == ("top_left", 1.0, 1.0)
    assert (found.height, found.width) == (7, 7)


def test_heat_spread_over_two_regions_names_the_larger_and_its_share():
    z = np.zeros((6, 6))
    z[5, 5], z[0, 3] = 3.0, 1.0  # bottom right holds 3 of 4
    found = describe.heat(z)
    assert found.region == "bottom_right" and found.region_share == pytest.approx(0.75)
    assert found.cell_share == pytest.approx(0.75)


def test_uniform_heat_is_shared_by_every_region_and_cell():
    found = describe.heat(np.ones((9, 9)))
    assert found.region_share == pytest.approx(1 / 9) and found.cell_share == pytest.approx(1 / 81)


def test_no_heat_has_no_share():
    assert describe.heat(np.zeros((7, 7))).cell_share == 0.0


def test_a_loss_that_falls_reports_its_best_and_final_values():
    found = describe.curve([2.3, 1.1, 0.6, 0.7], higher_is_better=False)
    assert (found.first, found.final, found.best, found.best_at, found.trend) == (2.3, 0.7, 0.6, 2, "falling")


def test_an_accuracy_that_rises_and_one_that_stays_put():
    assert describe.curve([0.1, 0.5, 0.9], higher_is_better=True).trend == "rising"
    assert describe.curve([0.1, 0.5, 0.9], higher_is_better=True).best_at == 2
    assert describe.curve([0.50, 0.70, 0.505], higher_is_better=True).trend == "flat"
    with pytest.raises(ValueError, match="at least one value"):
        describe.curve([], higher_is_better=True)


def test_feature_maps_name_their_count_size_and_strongest_place():
    m = np.zeros((4, 12, 10))
    m[2, 11, 9] = 5.0
    assert describe.maps(m) == describe.Maps(4, 12, 10, 2, "bottom_right")


def test_filters_name_the_strongest_by_its_norm():
    f = np.ones((3, 1, 3, 3))
    f[1] *= 4
    found = describe.filters(f)
    assert (found.count, found.channels, found.size, found.strongest, found.ratio) == (3, 1, 3, 1, 4.0)


def test_a_drawn_stroke_is_found_where_it_is():
    image = np.zeros((28, 28))
    image[2:8, 20:26] = 1.0  # a blob in the top right
    found = describe.ink(image)
    assert found.region == "top_right" and found.bright_share == pytest.approx(36 / 784)
    assert describe.ink(np.zeros((28, 28, 3))) == describe.Ink(28, 28, 0.0, "centre")


def test_a_confusion_matrix_says_its_accuracy_and_its_largest_mistake():
    found = describe.confusion([[5, 0, 1], [3, 4, 0], [0, 0, 7]])
    assert found.accuracy == pytest.approx(16 / 20) and found.total == 20 and found.worst == (1, 0, 3)
    assert describe.confusion([[2, 0], [0, 2]]).worst is None


def test_ranked_puts_the_largest_first():
    assert describe.ranked(["a", "b", "c"], [0.2, 0.5, 0.3]) == [("b", 0.5), ("c", 0.3), ("a", 0.2)]
