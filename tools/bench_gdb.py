"""gdb side of `make bench` (loaded by tools/bench.py with `gdb -batch -x`): counts the instructions one
interrupt executes from its IDT vector stub to iretq, from outside the guest, by single-stepping through
QEMU's gdb stub (which keeps interrupts and timers quiet while it steps). The handler itself is stepped
over and excluded: "before" ends at the handler's first instruction, "after" starts at its return address.

Driven by lines on standard input, one per measurement:   VECTOR IRQ NAME
It prints "READY NAME" once the breakpoint on the stub is armed and the guest runs (bench.py then makes
the interrupt happen), and "BENCH line=NAME irq=IRQ vector=VECTOR before=B after=A total=T" when done.
The connection comes from the environment: IRQOS_GDB_PORT, IRQOS_ELF."""
import os
import sys

import gdb

MAX_STEPS = 20000   # a path this long means the stepping went astray (reported, not looped on)
# IRQOS_BENCH_TRACE=FILE: also write every stepped instruction (address, function, text) to FILE, to see
# where a path spends its instructions.
TRACE = open(os.environ["IRQOS_BENCH_TRACE"], "a") if os.environ.get("IRQOS_BENCH_TRACE") else None


def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def insn_at(pc):
    arch = gdb.selected_frame().architecture()
    return arch.disassemble(pc)[0]["asm"]


def trace(pc, text):
    if TRACE:
        block = gdb.block_for_pc(pc)
        fn = block.function.name if block and block.function else "?"
        TRACE.write(f"{pc:#x} {fn}: {text}\n")


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFFFFFFFFFF


def u64(addr):
    return int(gdb.parse_and_eval(f"*(unsigned long *){addr}")) & 0xFFFFFFFFFFFFFFFF


def handler_of(irq):
    """Address of the first action's handler of `irq` (irq_to_desc's table, read as data)."""
    desc = gdb.parse_and_eval(f"'(anonymous namespace)::irq_descs'[{irq}]")
    action = desc["action"]
    if int(action) == 0:
        return None
    return int(action.dereference()["handler"]) & 0xFFFFFFFFFFFFFFFF


def step():
    """One instruction. QEMU's gdb stub now and then answers a step without executing anything (the PC
    stays put); such a step is repeated, not counted. Nothing on the measured paths repeats in place
    (no rep-prefixed string instructions), so an unchanged PC always means no progress."""
    pc = reg("pc")
    for _ in range(100):
        gdb.execute("stepi", to_string=True)
        if reg("pc") != pc:
            return
    raise gdb.GdbError(f"stepping at {pc:#x} makes no progress")


def measure(vector, irq, name):
    stub = u64(int(gdb.parse_and_eval("(unsigned long)&irqos_vector_stubs")) + 8 * vector)
    handler = handler_of(irq)
    if handler is None:
        say(f"BENCH-ERROR line={name} irq={irq}: no action")
        return
    bp = gdb.Breakpoint(f"*{stub:#x}", internal=True)
    say(f"READY {name}")
    gdb.execute("continue", to_string=True)
    bp.delete()
    if reg("pc") != stub:
        say(f"BENCH-ERROR line={name}: stopped at {reg('pc'):#x}, not the stub {stub:#x}")
        return
    before = 0
    while reg("pc") != handler:
        if "iret" in insn_at(reg("pc")) or before > MAX_STEPS:
            say(f"BENCH-ERROR line={name}: the handler was never entered ({before} instructions)")
            return
        trace(reg("pc"), insn_at(reg("pc")))
        step()
        before += 1
    ret = u64(reg("rsp"))
    # With several CPUs another one may pass the return address first (running the same flow for a
    # line of its own): only the measured CPU's arrival ends the handler.
    cpu = gdb.selected_thread().num
    rbp = gdb.Breakpoint(f"*{ret:#x}", internal=True)
    for _ in range(100):
        gdb.execute("continue", to_string=True)
        if gdb.selected_thread().num == cpu:
            break
    rbp.delete()
    if gdb.selected_thread().num != cpu or reg("pc") != ret:
        say(f"BENCH-ERROR line={name}: the measured CPU never returned from the handler")
        return
    # The path ends at iretq, or where the return from the interrupt switches to a thread the handler
    # woke (preempt_schedule_irq: what runs from there is that thread, measured by schedbench).
    switch_to = int(gdb.parse_and_eval("(unsigned long)&preempt_schedule_irq")) & 0xFFFFFFFFFFFFFFFF
    after = 0
    while True:
        if reg("pc") == switch_to:
            break
        text = insn_at(reg("pc"))
        trace(reg("pc"), text)
        step()
        after += 1
        if "iret" in text:
            break
        if after > MAX_STEPS:
            say(f"BENCH-ERROR line={name}: no iretq after the handler")
            return
    if TRACE:
        TRACE.write(f"== {name}: before={before} after={after}\n")
        TRACE.flush()
    say(f"BENCH line={name} irq={irq} vector={vector} before={before} after={after} total={before + after}")


def main():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute(f"file {os.environ['IRQOS_ELF']}")
    gdb.execute(f"target remote localhost:{os.environ['IRQOS_GDB_PORT']}", to_string=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        measure(int(words[0], 0), int(words[1]), words[2])
    gdb.execute("detach", to_string=True)
    say("BENCH-GDB-DONE")


main()
