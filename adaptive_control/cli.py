"""``adaptive-control``: collect data, meta-train, run episodes, and the demo.

Every subcommand has ``--help`` and works with its defaults (the shipped config and checkpoints).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np


class UsageError(Exception):
    """A command-line input that cannot work, found before any work is done."""


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (v > 0 and v != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return v


def _writable(path: str | None, folder: bool = False) -> None:
    """Fail now, before any work, when ``path`` (a file, or a folder) cannot be written."""
    if not path:
        return
    target = os.path.abspath(path) if folder else os.path.dirname(os.path.abspath(path))
    if not folder and os.path.isdir(path):
        raise UsageError(f"cannot write {path}: it is a folder")
    try:
        os.makedirs(target, exist_ok=True)  # the output's folder is made now (it would be anyway)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror} ({exc.filename})") from None
    if not os.access(target, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: {target} is not writable")


def _readable(paths) -> None:
    for path in paths or ():
        if not os.path.isfile(path):
            raise UsageError(f"{'no such file' if not os.path.exists(path) else 'not a file'}: {path}")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="experiment YAML (default: the shipped config of the robot)")
    p.add_argument("--robot", help="registered robot (half_cheetah, ant, walker) or a robot spec YAML path (default: the config's; without --config: half_cheetah)")


def cmd_calibrate(args) -> int:
    from adaptive_control.training import load_datasets
    from models.checkpoint import load_checkpoint, write_residual_max
    from models.guard import calibrate_residuals

    for path in args.checkpoint:
        ckpt = load_checkpoint(path)
        data = load_datasets(args.data, ckpt.robot)
        if ckpt.ticks > 1:
            data = data.multi_tick(ckpt.ticks)
        r = calibrate_residuals(ckpt.model, data.obs, data.act, data.next_obs)
        write_residual_max(path, r)
        print(f"{path}: largest normalised prior residual per state entry over {len(data)} transitions: "
              f"max {float(r.max()):.2f}, median {float(r.median()):.2f}")
    return 0


def cmd_step_size(args) -> int:
    import torch

    from models.checkpoint import load_checkpoint, write_step_size

    _readable([args.checkpoint])
    before = load_checkpoint(args.checkpoint).inner_lr
    write_step_size(args.checkpoint, args.out, args.value)
    if isinstance(before, dict):
        flat = torch.cat([v.flatten() for v in before.values()])
        was = f"learned, mean {float(flat.mean()):.3g}, min {float(flat.min()):.3g}, max {float(flat.max()):.3g}"
    else:
        was = f"{before:.3g}"
    print(f"wrote {args.out}: {args.checkpoint} with every step size {args.value:g} (was {was})")
    return 0


def _add_planner_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--step-ticks", type=_positive_int, help="control ticks each planned action is held (default: the config's)")
    p.add_argument("--horizon", type=_positive_int, help="planning horizon in planning steps (default: the config's)")
    p.add_argument("--samples", type=_positive_int, help="planner samples K (default: the config's)")


def _config(args):
    from adaptive_control.build import experiment_config
    from adaptive_control.config import ConfigError
    from sim.robots import robot_name

    robot = args.robot or "half_cheetah"
    path = args.config or f"the defaults for {robot}"
    cfg = experiment_config(robot, args.config)
    if args.robot is not None and robot_name(cfg.robot.name) != robot_name(args.robot):
        raise ConfigError(f"{path} is an experiment for robot '{cfg.robot.name}', not --robot {args.robot} "
                          f"(drop --robot or pass a config for {args.robot})")
    args.robot = cfg.robot.name
    return cfg


def cmd_collect(args) -> int:
    from adaptive_control.collect import CollectJob, collect_parallel

    cfg = _config(args)
    c = cfg.collect
    c = dataclasses.replace(c, **{k: v for k, v in (("paths", args.paths), ("path_length", args.path_length),
                                                   ("policy", args.policy), ("seed", args.seed),
                                                   ("branches", args.branches),
                                                   ("stratify", args.stratify or None)) if v is not None})
    c.validate()
    cfg = _planner_overrides(cfg, args)
    from adaptive_control.build import load_for_method, task_distribution
    from adaptive_control.reference import TRUE_DYNAMICS

    tasks = task_distribution(cfg.robot.name, cfg.task, args.perturbation)  # a bad family fails here, not in a worker
    if c.stratify and not hasattr(tasks, "families"):
        raise UsageError(f"collect: --stratify (collect.stratify) needs the whole perturbation suite "
                         f"(task.perturbation: all); this collection samples only "
                         f"{args.perturbation or cfg.task.perturbation}")
    if c.policy == "mpc" and args.method == TRUE_DYNAMICS:
        if args.checkpoint:
            raise UsageError("collect: --checkpoint is for a learned --method; true_dynamics has no model")
        if cfg.planner.type == "casadi":
            raise UsageError("collect: --method true_dynamics needs a sampling planner (planner.type: mppi, cem, "
                             "random_shooting), not casadi")
    elif c.policy == "mpc":  # a bad checkpoint too
        load_for_method(args.method, cfg.robot.name, args.checkpoint, device=cfg.controller.device)
    job = CollectJob(cfg=cfg, collect=c, perturbation=args.perturbation, method=args.method,
                     checkpoint=args.checkpoint, threads=args.threads)
    data = collect_parallel(job, args.out, workers=args.workers)
    print(f"wrote {len(data)} transitions in {data.num_paths} paths to {args.out}"
          + (f" ({args.workers} workers)" if args.workers > 1 else ""))
    if c.branches:
        from adaptive_control.collect import branch_file

        branches = branch_file(args.out)
        print(f"wrote {c.branches} counterfactual branches per branch point to {branches}" if os.path.exists(branches)
              else f"no branch point in paths of {c.path_length} steps: no branches written")
    return 0


def cmd_meta_train(args) -> int:
    from adaptive_control.training import load_datasets, train_checkpoint

    cfg = _config(args)
    train = cfg.train
    if args.method:
        train = dataclasses.replace(train, method=args.method)
    if args.steps:
        train = dataclasses.replace(train, steps=args.steps)
    if args.seed is not None:
        train = dataclasses.replace(train, seed=args.seed)
    if args.split_seed is not None:
        train = dataclasses.replace(train, split_seed=args.split_seed)
    if args.snapshot_every is not None:
        train = dataclasses.replace(train, snapshot_every=args.snapshot_every)
    train.validate()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    cfg = dataclasses.replace(cfg, train=train)
    data = load_datasets(args.data, cfg.robot.name)
    from models.distributed import init_from_env, shutdown

    # under torchrun (WORLD_SIZE > 1): join the process group (gloo on CPU, NCCL on CUDA); a no-op otherwise
    info = init_from_env(cfg.controller.device)
    if args.resume and info.is_main:
        from adaptive_control.training import train_state_path

        state = train_state_path(args.out)
        print(f"resuming from {state}" if os.path.exists(state) else f"no training state at {state}: starting afresh")
    try:
        metrics = train_checkpoint(cfg, data, args.out, init=args.init, resume=args.resume, dist_info=info)
    finally:
        shutdown(info)
    if not info.is_main:
        return 0
    print(f"wrote {train.method} checkpoint to {args.out}"
          + (f" ({info.world_size} processes, global batch {train.meta_batch_size})" if info.distributed else "")
          + f": val loss prior {metrics['val_loss_prior']:.4f}, "
          f"adapted (one step, or the carried context for rebal) {metrics['val_loss_adapted']:.4f}"
          + (f"; open-loop over N steps: prior {metrics['val_rollout_prior']:.4f}, adapted "
             f"{metrics['val_rollout_adapted']:.4f}" if "val_rollout_prior" in metrics else "")
          + (f"; without the worst {train.validation_trim:.0%} of held-out windows (what early stopping scores): "
             f"prior {metrics['val_trimmed_loss_prior']:.4f}, adapted {metrics['val_trimmed_loss_adapted']:.4f}"
             if "val_trimmed_loss_prior" in metrics else ""))
    return 0


def _planner_overrides(cfg, args):
    """The config with the planner flags given on the command line (validated)."""
    over = {k: v for k, v in (("step_ticks", args.step_ticks), ("horizon", args.horizon), ("samples", args.samples))
            if v is not None}
    if not over:
        return cfg
    planner = dataclasses.replace(cfg.planner, **over)
    planner.validate()
    return dataclasses.replace(cfg, planner=planner)


def cmd_run(args) -> int:
    from adaptive_control.experiments.episode import episode_tracking, run_one

    cfg = _planner_overrides(_config(args), args)
    command = None
    if args.task == "track":
        from adaptive_control.tracking import CommandSchedule, ScheduleError

        try:
            command = CommandSchedule.parse(args.command or "0:1.0")
        except ScheduleError as exc:
            raise UsageError(f"--command: {exc}") from None
    elif args.command is not None:
        raise UsageError("--command needs --task track")
    res = run_one(cfg, args.method, args.seed, args.steps, args.checkpoint, args.perturbation, split=args.split,
                  command=command)
    out = {"robot": cfg.robot.name, "method": args.method, "seed": args.seed, "objective": args.task, **res.summary()}
    print(f"{args.method}: return {res.episode_return:.1f} over {res.steps} steps on {res.task}; tick median "
          f"{res.latency['total_median_ms']:.2f} ms, p99 {res.latency['total_p99_ms']:.2f} ms")
    if command is not None:
        out["tracking"] = episode_tracking(cfg.robot.name, res, command)
        t = out["tracking"]
        print(f"tracking {args.command or '0:1.0'}: RMS error vx {t['rms_vx']:.3f} m/s"
              + ("" if "rms_vy" not in t else f", vy {t['rms_vy']:.3f} m/s, yaw rate {t['rms_yaw_rate']:.3f} rad/s")
              + "; settling " + ", ".join(f"{s['at_s']:g} s -> {s['command'][0]:g} m/s: "
                                          + ("not settled" if s["settling_s"] is None else f"{s['settling_s']:.2f} s")
                                          for s in t["steps"]))
    if args.json:
        from models.dataset import atomic_write

        atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))
    return 0


def cmd_demo(args) -> int:
    from adaptive_control.experiments.episode import run_one
    from adaptive_control.experiments.plots import plot_velocities

    cfg = _planner_overrides(_config(args), args)
    os.makedirs(args.out, exist_ok=True)
    results: dict = {m: [] for m in args.methods}
    t0 = time.time()
    for seed in args.seeds:
        for method in args.methods:
            results[method].append(run_one(cfg, method, seed, args.steps, perturbation=args.perturbation,
                                           split=args.split))
    family = f"{args.perturbation or cfg.task.perturbation} ({args.split} range)"
    print(f"\n{cfg.robot.name}, {family}, {args.steps} steps per episode, seeds {args.seeds} "
          f"({time.time() - t0:.0f} s):")
    summary = {}
    ref = results.get("true_dynamics")
    ref_mean = float(np.mean([x.episode_return for x in ref])) if ref else None
    for method, runs in results.items():
        r = np.array([x.episode_return for x in runs])
        se = r.std(ddof=1) / np.sqrt(len(r)) if len(r) > 1 else float("nan")
        med = np.median([x.latency["total_median_ms"] for x in runs])
        p99 = np.median([x.latency["total_p99_ms"] for x in runs])
        frac = float(r.mean() / ref_mean) if ref_mean else None
        summary[method] = {"returns": r.tolist(), "mean": float(r.mean()), "stderr": float(se),
                           "fraction_of_true_dynamics": frac,
                           "tick_median_ms": float(med), "tick_p99_ms": float(p99),
                           "tasks": [x.task for x in runs]}
        vel = np.mean([x.forward_velocity.mean() for x in runs])
        print(f"  {method:13s} return {r.mean():8.1f} ± {se:6.1f} (s.e.)"
              + (f" = {frac:5.2f} x true dynamics" if frac is not None else "")
              + f"; mean forward velocity {vel:5.2f} m/s; tick median {med:6.2f} ms, p99 {p99:6.2f} ms")
    plot = os.path.join(args.out, "forward_velocity.png")
    from sim.robots import make_env

    plot_velocities({m: runs[0] for m, runs in results.items()}, plot, dt=make_env(cfg.robot.name).control_dt,
                    title=f"{cfg.robot.name}, seed {args.seeds[0]}: {results[args.methods[0]][0].task}")
    from models.dataset import atomic_write

    atomic_write(os.path.join(args.out, "demo.json"), lambda fh: fh.write(json.dumps(summary, indent=2).encode()))
    print(f"plot of forward velocity: {plot}\nresults: {os.path.join(args.out, 'demo.json')}")
    return 0


def cmd_evaluate(args) -> int:
    from tqdm import tqdm

    from adaptive_control.experiments.evaluate import cells, evaluate, load_eval_config
    from adaptive_control.experiments.report import read_records

    cfg = load_eval_config(args.config)
    total = len(cells(cfg))
    finished = len({r["id"] for r in read_records(os.path.join(args.out, "results.jsonl"))})
    bar = tqdm(total=total, initial=min(finished, total), desc="evaluate", unit="episode", dynamic_ncols=True)
    records = evaluate(cfg, args.out, progress=lambda rec: bar.update(1))
    bar.close()
    _print_results(args.out, len(records))
    return 0


def cmd_report(args) -> int:
    from adaptive_control.experiments.report import parse_source, report

    records = report([parse_source(s) for s in args.sources], args.out)
    _print_results(args.out, len(records))
    return 0


def cmd_select(args) -> int:
    from tqdm import tqdm

    from adaptive_control.experiments.select import check_inputs, select, table, write_selection

    cfg = _config(args)
    seeds = args.seeds
    check_inputs(args.candidates, cfg.robot.name, args.family, seeds)  # errors before the progress bar
    bar = tqdm(total=len(args.candidates) * len(seeds), desc="select", unit="episode", dynamic_ncols=True)
    best, candidates = select(args.candidates, cfg.robot.name, args.config, args.family, seeds, args.steps,
                              args.workers, progress=lambda: bar.update(1))
    bar.close()
    write_selection(best, candidates, args.out, args.json, robot=cfg.robot.name, family=args.family, seeds=seeds,
                    steps=args.steps)
    print(f"{cfg.robot.name}, {args.family} (training range), {len(seeds)} validation episodes of {args.steps} steps:")
    print(table(best, candidates))
    print(f"wrote {args.out}" + (f" and {args.json}" if args.json else ""))
    return 0


def _print_results(out: str, episodes: int) -> None:
    """The table of an evaluate/report folder, then the files written there (the switch plot and
    sources.json only exist when there were switches / sources)."""
    print(open(os.path.join(out, "results.md"), encoding="utf-8").read())
    written = [f for f in ("results.json", "results.md", "returns.png", "switch_velocity.png", "sources.json")
               if os.path.exists(os.path.join(out, f))]
    print(f"{episodes} episodes; results in {out}/: {', '.join(written)}")


def cmd_bench(args) -> int:
    from adaptive_control.experiments.bench import run_bench
    from models.dataset import atomic_write

    out = run_bench(quick=args.quick, ticks=args.ticks, robot=args.robot, precision=args.precision)
    atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=2).encode()))
    which = "shipped tick" if "shipped" in out else "tick (default point)"
    print(f"{which} p99 {out['p99_ms']:.2f} ms (median {out['median_ms']:.2f}); our plan / pytorch_mppi's "
          f"(float32, default point): {out['ratio_vs_pytorch_mppi']:.2f}; wrote {args.json}")
    return 0


def cmd_sil(args) -> int:
    from tqdm import tqdm

    from robot_bridge import sil
    from models.dataset import atomic_write
    from sim.tasks import make_distribution

    task = make_distribution(args.robot, args.perturbation, args.split).sample(np.random.default_rng(args.seed)).params()
    work = args.work_dir or sil.temp_work_dir()
    os.makedirs(work, exist_ok=True)
    print(f"simulation in the loop over ROS 2: {args.robot}, {args.method}, task {task}"
          + (f" switched on at {args.switch_at:g} s" if args.switch_at is not None else "") + f"; logs in {work}")
    bar = tqdm(desc="sil", unit="s", dynamic_ncols=True, bar_format="{desc}: {elapsed} elapsed")
    out = sil.run_sil(robot=args.robot, task=task, method=args.method, seed=args.seed, duration=args.duration,
                      switch_at=args.switch_at, work_dir=work, controller_params=args.params, progress=bar.update,
                      checkpoint=args.checkpoint or "")
    bar.close()
    line = (f"over ROS 2: return {out['return']:.1f} in {out['steps']} steps at {out['control_rate']:g} Hz "
            f"(real-time factor {out['real_time_factor']:.2f}); missed deadlines {out['missed_deadlines']}, "
            f"safe ticks {out['safe_ticks']}, late sim steps {out['late_sim_steps']}; round trip median "
            f"{out['round_trip_median_ms']:.1f} ms, p99 {out['round_trip_p99_ms']:.1f} ms"
            + (f"; CPU time stolen by the hypervisor {100 * out['cpu_stolen_fraction']:.1f}%"
               if out.get("cpu_stolen_fraction") is not None else ""))
    print(line)
    if args.compare:
        rate = out["control_rate"]
        ref = sil.in_process_episode(robot=args.robot, task=task, method=args.method, seed=args.seed,
                                     steps=out["steps"], controller_params=args.params, work_dir=work,
                                     checkpoint=args.checkpoint or "",
                                     switch_step=None if args.switch_at is None else int(round(args.switch_at * rate)))
        out["in_process"] = ref
        out["return_ratio_vs_in_process"] = out["return"] / ref["return"] if ref["return"] else float("nan")
        print(f"in process, same episode: return {ref['return']:.1f}; ratio ROS 2 / in process "
              f"{out['return_ratio_vs_in_process']:.3f}")
    if args.json:
        atomic_write(args.json, lambda fh: fh.write(json.dumps(out, indent=1).encode()))
        print(f"wrote {args.json}")
    return 0


def cmd_ros_params(args) -> int:
    from robot_bridge.spec_params import write_node_params

    for path in write_node_params(args.robot, args.out_dir):
        print(f"wrote {path}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="adaptive-control", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("collect", help="collect transitions in simulation into a dataset (.npz)")
    _add_common(p)
    p.add_argument("--perturbation", help="perturbation family (default: the config's)")
    p.add_argument("--paths", type=_positive_int, help="number of trajectories (default: the config's)")
    p.add_argument("--path-length", type=_positive_int, help="steps per trajectory (default: the config's)")
    p.add_argument("--policy", choices=["random", "mpc"], help="action source (default: the config's)")
    p.add_argument("--method", default="grbal", choices=["grbal", "mb", "mb_de", "true_dynamics"],
                   help="controller for --policy mpc; true_dynamics: the planner with the simulator as its model "
                        "(offline data from where a good controller drives the robot; see --samples/--horizon)")
    _add_planner_flags(p)  # the MPC collection's planner
    p.add_argument("--checkpoint", help="checkpoint for --policy mpc (default: the shipped one)")
    p.add_argument("--seed", type=int, help="collection seed (default: the config's)")
    p.add_argument("--stratify", action="store_true",
                   help="every perturbation family gets the same number of paths (collect.stratify; whole-suite "
                        "data only; README \"Stratified task sampling\")")
    p.add_argument("--branches", type=int, metavar="B",
                   help="counterfactual branches per branch point, written beside --out as <out>.branches.npz "
                        "(collect.branches; 0: none; README \"Counterfactual branches\")")
    p.add_argument("--threads", type=_positive_int, help="torch threads of the MPC controller (default: the config's controller.threads)")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="worker processes collecting paths in parallel (the dataset is the same for any number; "
                        "with MPC give each --threads 1 on a 2-core machine)")
    p.add_argument("--out", required=True, help="dataset file to write")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("meta-train", help="meta-train (grbal) or train (mb) a dynamics model on datasets")
    _add_common(p)
    p.add_argument("--data", nargs="+", required=True, help="dataset files (.npz), joined")
    p.add_argument("--method", choices=["grbal", "mb", "rebal"], help="training method (default: the config's)")
    p.add_argument("--steps", type=_positive_int, help="optimiser steps (default: the config's)")
    p.add_argument("--seed", type=int, help="seed of initialisation and window sampling (default: the config's)")
    p.add_argument("--split-seed", type=int, help="seed of the train/validation split of the paths alone "
                                                  "(default: the config's train.split_seed; unset: --seed's)")
    p.add_argument("--threads", type=_positive_int, help="torch threads (default: torch's, one per core)")
    p.add_argument("--snapshot-every", type=int, metavar="K",
                   help="also write the live weights at the start, every K steps and at the last as <out without "
                        ".pt>.step<k>.pt, for `select` "
                        "(default: the config's train.snapshot_every; 0: none)")
    p.add_argument("--init", help="start from this checkpoint's weights and normaliser (same robot and architecture), "
                                  "e.g. meta-train grbal from the mb model of the same data, or fine-tune")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run (same config, flags, data and --out) from its training state "
                        "(<out without .pt>.train_state.pt, written every train.save_every steps)")
    p.add_argument("--out", required=True, help="checkpoint file to write")
    p.set_defaults(func=cmd_meta_train)

    p = sub.add_parser("calibrate", help="store the adaptation guard's calibration (the prior's largest residuals on "
                                         "its training data) in checkpoints; meta-train does this itself")
    p.add_argument("--checkpoint", nargs="+", required=True, help="checkpoint files to update in place (atomically)")
    p.add_argument("--data", nargs="+", required=True, help="the datasets the checkpoints were trained on (.npz)")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("step-size", help="copy a GrBAL checkpoint with every online step size set to one value "
                                         "(e.g. candidates for select; the recipe's GRBAL_START_STEPS)")
    p.add_argument("--checkpoint", required=True, help="GrBAL checkpoint to copy")
    p.add_argument("--value", type=_positive_float, required=True, help="the step size for every parameter")
    p.add_argument("--out", required=True, help="checkpoint file to write (atomically; may be --checkpoint)")
    p.set_defaults(func=cmd_step_size)

    p = sub.add_parser("run", help="run one episode and report return and tick latency")
    _add_common(p)
    p.add_argument("--perturbation", help="perturbation family (default: the config's)")
    p.add_argument("--method", default="grbal", choices=["grbal", "grbal_prior", "mb", "mb_de", "rebal", "true_dynamics"],
                   help="online method, or true_dynamics: the same planner with the simulator as its model, the "
                        "reference no robot can run (default: %(default)s)")
    p.add_argument("--checkpoint", help="checkpoint (default: the shipped one for the method)")
    p.add_argument("--split", default="test", choices=["train", "test"],
                   help="task range: the family's held-out test range or its training range (default: %(default)s)")
    _add_planner_flags(p)
    p.add_argument("--steps", type=_positive_int, default=1000, help="control steps (default: %(default)s)")
    p.add_argument("--seed", type=int, default=100, help="seed of the task and the initial state (default: %(default)s)")
    p.add_argument("--task", default="forward", choices=["forward", "track"],
                   help="forward: run forward as fast as possible (the task reward); track: follow --command "
                        "(default: %(default)s)")
    p.add_argument("--command", help="velocity commands for --task track: 't:vx[:vy:yaw_rate],...' (seconds from the "
                                     "start, m/s, rad/s), e.g. '0:1.0,5:2.0' (default: '0:1.0')")
    p.add_argument("--json", help="write the result to this JSON file")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="crippled robot (held-out legs) with grbal, mb and the true-dynamics reference: "
                                    "returns, latency, velocity plot")
    _add_common(p)
    p.add_argument("--perturbation", default="crippled_leg", help="perturbation family (default: %(default)s)")
    p.add_argument("--split", default="test", choices=["train", "test"],
                   help="task range: the family's held-out test range or its training range (default: %(default)s)")

    p.add_argument("--methods", nargs="+", default=["grbal", "mb", "true_dynamics"],
                   choices=["grbal", "grbal_prior", "mb", "mb_de", "rebal", "true_dynamics"],
                   help="methods; true_dynamics is the reference planner with the simulator as its model "
                        "(default: %(default)s)")
    p.add_argument("--seeds", nargs="+", type=int, default=[100, 101, 102], help="episode seeds (default: %(default)s)")
    p.add_argument("--steps", type=_positive_int, default=1000, help="control steps per episode (default: %(default)s)")
    _add_planner_flags(p)
    p.add_argument("--out", default="out/demo", help="output folder (default: %(default)s)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("evaluate", help="run a robot x perturbation x method x seed matrix (resumable)")
    p.add_argument("--config", required=True, help="evaluation YAML (see adaptive_control/experiments/evaluate.py: EvalConfig)")
    p.add_argument("--out", required=True, help="output folder (finished episodes there are not rerun)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("report", help="merge finished evaluate folders (other seeds, a reference run elsewhere) into "
                                      "one table and plot")
    p.add_argument("sources", nargs="+", metavar="DIR[:METHOD[=NAME],...]",
                   help="an evaluate --out folder, optionally with the methods to take from it (METHOD=NAME renames "
                        "one, e.g. DIR:grbal=grbal_whole_plan for the same method under other settings)")
    p.add_argument("--out", required=True, help="output folder for the merged results.json, results.md, plots")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("select", help="keep the checkpoint whose controller returns most on validation episodes from "
                                      "the training range (closed-loop model selection, e.g. between training seeds)")
    _add_common(p)
    p.add_argument("--candidates", nargs="+", required=True,
                   help="checkpoints of one kind for the robot (ties go to the first)")
    p.add_argument("--family", default="crippled_leg",
                   help="perturbation family whose TRAINING range the validation tasks come from, or all "
                        "(default: %(default)s; the held-out test range is never used)")
    p.add_argument("--seeds", nargs="+", type=int, default=list(range(900, 910)),
                   help="validation episode seeds (default: 900-909)")
    p.add_argument("--steps", type=_positive_int, default=1000, help="control steps per episode (default: %(default)s)")
    p.add_argument("--workers", type=_positive_int, default=2, help="worker processes, one torch thread each; 1: the "
                                                                    "episodes run in this process (default: %(default)s)")
    p.add_argument("--out", required=True, help="where the chosen checkpoint is copied (may be one of the candidates)")
    p.add_argument("--json", help="write every candidate's validation returns to this JSON file")
    p.set_defaults(func=cmd_select)

    p = sub.add_parser("sil", help="simulation in the loop over ROS 2: the sim node and the controller node")
    p.add_argument("--robot", default="half_cheetah",
                   help="registered robot or robot spec path (default: %(default)s); a robot without shipped node "
                        "YAML gets the parameters its spec gives (see ros-params)")
    p.add_argument("--perturbation", default="crippled_leg", help="perturbation family (default: %(default)s)")
    p.add_argument("--split", default="test", choices=["train", "test"], help="task range (default: %(default)s)")
    p.add_argument("--method", default="grbal", choices=["grbal", "grbal_prior", "mb", "mb_de", "rebal"], help="(default: %(default)s)")
    p.add_argument("--checkpoint", help="the controller's checkpoint (default: the one shipped for robot + method)")
    p.add_argument("--seed", type=int, default=100, help="seed of the task and initial state (default: %(default)s)")
    p.add_argument("--duration", type=_positive_float, default=20.0, help="simulated seconds (default: %(default)s)")
    p.add_argument("--switch-at", type=float, help="seconds after which the perturbation starts (default: from reset)")
    p.add_argument("--params", nargs="*", default=[], help="extra controller parameter YAML files (applied last)")
    p.add_argument("--no-compare", dest="compare", action="store_false",
                   help="skip the same episode in process (run by default, for the return ratio)")
    p.add_argument("--work-dir", help="folder for the nodes' logs and summaries (default: a new temp folder)")
    p.add_argument("--json", help="write the result to this JSON file")
    p.set_defaults(func=cmd_sil)

    p = sub.add_parser("ros-params", help="write the ROS 2 nodes' parameter YAML for a robot from its spec "
                                          "(<name>_controller.yaml, <name>_sim.yaml)")
    p.add_argument("--robot", required=True, help="registered robot or robot spec path")
    p.add_argument("--out-dir", required=True, help="folder to write the two YAML files into")
    p.set_defaults(func=cmd_ros_params)

    p = sub.add_parser("bench", help="tick benchmark (adapt + plan) over model sizes, K and T; vs pytorch_mppi")
    p.add_argument("--json", required=True, help="write the results to this JSON file")
    p.add_argument("--quick", action="store_true", help="the default config only (under a minute)")
    p.add_argument("--robot", default="half_cheetah", help="robot whose states and cost the ticks use: registered name "
                                                         "or spec path (default: %(default)s)")
    p.add_argument("--precision", default=None, choices=["auto", "float32", "bfloat16"],
                   help="matmul precision of the shipped tick (default: the experiment's planner.precision); the "
                        "default point against pytorch_mppi is always float32")
    p.add_argument("--ticks", type=_positive_int, default=200, help="timed ticks per grid point (default: %(default)s)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv=None) -> int:
    args = make_parser().parse_args(argv)
    from adaptive_control.config import ConfigError
    from models.checkpoint import CheckpointError
    from models.dataset import DatasetError
    from robot_bridge.sil import SilError
    from sim.spec import SpecError

    try:
        for name in ("out", "json"):  # outputs: fail before the work, not after it
            _writable(getattr(args, name, None), folder=name == "out" and args.command in ("demo", "evaluate", "report"))
        for name in ("data", "params", "candidates"):
            _readable(getattr(args, name, None))
        for name in ("config", "init"):
            _readable([getattr(args, name)] if getattr(args, name, None) else [])
        return args.func(args)
    except (UsageError, ConfigError, SpecError, CheckpointError, DatasetError, SilError, FileNotFoundError, PermissionError,
            IsADirectoryError, NotADirectoryError) as exc:
        print(f"adaptive-control: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("adaptive-control: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
