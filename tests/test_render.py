"""fastq.render: text maps, policy arrows, frames and colours, one table for all of them."""

import numpy as np

import fastq
from fastq import plot, render
from fastq.grid import MOVES


def test_arrows_are_the_moves_arrows():
    assert {letter: arrow for letter, (_, _, arrow) in MOVES.items()} == render.ARROWS


def test_text_map_with_a_policy_draws_arrows_on_free_cells_only():
    rows = ["S.#", "H.G"]
    policy = [2, 1, 0, 0, 3, 0]  # L D R U: right, down, -, -, up, -
    assert render.text_map(rows) == "S.#\nH.G"
    assert render.text_map(rows, "LDRU", policy) == "\u2192\u2193#\nH\u2191G"
    env = fastq.GridWorld(rows)
    assert env.render(policy) == render.text_map(rows, "LDRU", policy)


def test_text_frame_of_a_grid_and_of_a_model():
    env = fastq.make("FrozenLake-4x4")
    assert render.text_frame(env.mdp, env, 5, step=3).splitlines() == [
        "SFFF", "F@FH", "FFFH", "HFFG", "state 5 (row 1, column 1), step 3"]
    mdp = fastq.make("MaxBias")
    assert render.text_frame(mdp, None, 2, action=1) == "state 2 of 3 (terminal), last action: left/B1"


def test_rgb_frames_use_the_colour_table():
    env = fastq.GridWorld(["S#", "..", "HG"])
    frame = render.rgb_frame(env.mdp, env, 0)
    assert frame.shape == (96, 64, 3) and frame.dtype == np.uint8
    c = render.CELL_PIXELS
    assert tuple(frame[c // 2, c // 2]) == render.AGENT_COLOUR
    for (r, col), ch in (((0, 1), "#"), ((1, 0), "."), ((2, 0), "H"), ((2, 1), "G")):
        assert tuple(frame[r * c + 2, col * c + 2]) == render.CELL_COLOURS[ch]
    assert (frame[::c] == 0).all()  # grid lines


def test_a_model_is_drawn_as_a_grid_of_its_states():
    mdp = fastq.make("MaxBias")  # 3 states: start, other, terminal (no goal)
    assert render.cell_kinds(mdp) == ["S", ".", "H"]
    frame = render.rgb_frame(mdp, None, 1)
    assert frame.shape == (64, 64, 3)
    assert tuple(frame[32 + 2, 32 + 2]) == (255, 255, 255)  # padding of the 2 x 2 grid


def test_plots_and_frames_share_the_colours():
    for ch, colour in plot.CELL_COLOURS.items():
        assert colour == render.hex_colour(ch)
        assert tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) == render.CELL_COLOURS[ch]
