"""Experiments on the composed stack: the evaluation matrix, the tick benchmark and their plots."""
