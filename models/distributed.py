"""Data-parallel (meta-)training over ``torch.distributed``, as launched by ``torchrun``.

``torchrun --nproc-per-node N`` (and ``--nnodes`` for several machines) starts N copies of the
training command with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous address in their
environment. Each copy (a *rank*) loads the same data, draws its own share of every global batch
of windows from its own seeded stream, and wraps the training objective in
:class:`torch.nn.parallel.DistributedDataParallel`, which averages the gradients over the ranks
(gloo on CPU, NCCL on CUDA) before every optimiser step, so all ranks hold the same weights after
every step. Rank 0 writes checkpoints, training states and logs.

A leaf module: torch only.
"""
from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in a data-parallel run (a single process: rank 0 of 1)."""

    rank: int = 0
    """Global rank of this process, 0 .. world_size - 1."""
    world_size: int = 1
    """Number of training processes over all machines."""
    local_rank: int = 0
    """Rank among the processes of this machine (selects the GPU on CUDA machines)."""

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes checkpoints, training states and logs."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


SINGLE = DistInfo()


def launched_by_torchrun() -> bool:
    """True when the environment says this process is one of several ranks (``WORLD_SIZE`` > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def backend_for(device: str | torch.device) -> str:
    """``nccl`` for CUDA devices, ``gloo`` otherwise (CPU)."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def init_from_env(device: str | torch.device = "cpu") -> DistInfo:
    """Join the process group ``torchrun`` describes in the environment (a no-op for a single process).

    Returns this process's :class:`DistInfo`. Raises ``RuntimeError`` with the missing variable when
    ``WORLD_SIZE`` > 1 but the rendezvous variables are absent (not started by torchrun).
    """
    if not launched_by_torchrun():
        return SINGLE
    missing = [k for k in ("RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
    if missing:
        raise RuntimeError(f"WORLD_SIZE is {os.environ['WORLD_SIZE']} but {', '.join(missing)} is not set: "
                           f"start distributed runs with torchrun")
    info = DistInfo(rank=int(os.environ["RANK"]), world_size=int(os.environ["WORLD_SIZE"]),
                    local_rank=int(os.environ["LOCAL_RANK"]))
    if not dist.is_initialized():
        dev = torch.device(device)
        if dev.type == "cuda":
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group(backend=backend_for(dev), rank=info.rank, world_size=info.world_size)
    return info


def current() -> DistInfo:
    """This process's :class:`DistInfo` from an initialised process group (``SINGLE`` when none)."""
    if not (dist.is_available() and dist.is_initialized()):
        return SINGLE
    return DistInfo(rank=dist.get_rank(), world_size=dist.get_world_size(),
                    local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def gather_objects(obj, info: DistInfo) -> list:
    """Every rank's ``obj`` (a picklable value), in rank order, on every rank."""
    if not info.distributed:
        return [obj]
    out = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def shutdown(info: DistInfo) -> None:
    """Leave the process group (after the last collective).

    Objects that hold the group (a finished ``DistributedDataParallel``'s reducer) are collected
    first, while the interpreter is whole: left to interpreter exit, the backend's worker threads can
    be torn down in an order that aborts the process after a run that succeeded."""
    if info.distributed and dist.is_initialized():
        dist.barrier()
        gc.collect()
        dist.destroy_process_group()
        gc.collect()
