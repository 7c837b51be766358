// kernel/arch.h for the host tests: simulated CPUs (sim_cpu.h) instead of the real interrupt flag and
// CPU number; dump_stack from glibc's backtrace(); symbols from the dynamic symbol table (the test
// binary is linked with -rdynamic), demangled and cut to the bare function name like Linux's %ps.
#include "tests/host/support/sim_cpu.h"
#include "tests/host/support/capture_console.h"
#include "kernel/arch.h"
#include "kernel/printk.h"
#include <chrono>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace {
constexpr unsigned long X86_EFLAGS_IF = 0x200;  // Intel SDM vol. 1, 3.4.3: the interrupt-enable flag
constexpr int DUMP_STACK_MAX_FRAMES = 16;

thread_local unsigned this_cpu = 0;
std::atomic<bool> irq_on[NR_CPUS];
std::atomic<unsigned> online{1};
std::atomic<void (*)(unsigned)> relax_hook{nullptr};

// Demangled names, kept forever (lookup_symbol promises a name that stays valid).
std::mutex sym_mu;
std::map<uintptr_t, std::string>* sym_cache = new std::map<uintptr_t, std::string>;

// "ns::func(int, void*)" -> "ns::func": drop a trailing parameter list, as %ps shows only the name.
std::string strip_params(std::string s) {
    if (s.empty() || s.back() != ')') return s;
    int depth = 0;
    for (size_t i = s.size(); i-- > 0;) {
        if (s[i] == ')')
            depth++;
        else if (s[i] == '(' && --depth == 0)
            return s.substr(0, i);
    }
    return s;
}
}  // namespace

namespace SimCpu {
unsigned current() { return this_cpu; }
void set_current(unsigned cpu) {
    if (cpu >= NR_CPUS) {
        std::fprintf(stderr, "SimCpu: cpu %u out of range\n", cpu);
        std::abort();
    }
    this_cpu = cpu;
}
bool irqs_enabled(unsigned cpu) { return irq_on[cpu].load(); }
void set_irqs_enabled(unsigned cpu, bool on) { irq_on[cpu].store(on); }
void set_relax_hook(void (*hook)(unsigned cpu)) { relax_hook.store(hook); }
void set_online(unsigned n) { online = n < 1 ? 1 : (n > NR_CPUS ? NR_CPUS : n); }
void reset() {
    for (auto& f : irq_on) f.store(true);
    online = 1;
    this_cpu = 0;
    relax_hook.store(nullptr);
}
}  // namespace SimCpu

namespace arch {
unsigned long irq_save() {
    bool was_on = irq_on[this_cpu].exchange(false);
    return was_on ? X86_EFLAGS_IF : 0;
}
void irq_restore(unsigned long flags) { irq_on[this_cpu].store((flags & X86_EFLAGS_IF) != 0); }
void irq_enable() { irq_on[this_cpu].store(true); }
void irq_disable() { irq_on[this_cpu].store(false); }
bool irqs_disabled() { return !irq_on[this_cpu].load(); }
bool irqs_disabled_flags(unsigned long flags) { return !(flags & X86_EFLAGS_IF); }
unsigned num_online_cpus() { return online.load(); }
void cpu_relax() {  // other "CPUs" are threads: let them run
    if (auto hook = relax_hook.load()) hook(this_cpu);
    std::this_thread::yield();
}
uint64_t cycles() {
    return (uint64_t)std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
unsigned long cycles_khz() { return 1000000; }  // nanoseconds

// Real host frames (test binary and libraries); frames without an exported symbol print as an address.
void dump_stack() {
    void* frames[DUMP_STACK_MAX_FRAMES + 1];
    int n = backtrace(frames, DUMP_STACK_MAX_FRAMES + 1);
    printk("Call Trace:\n");
    for (int i = 1; i < n; i++)  // frame 0 is dump_stack itself
        printk(" [<%p>] %pS\n", frames[i], frames[i]);
}

bool lookup_symbol(uintptr_t addr, const char** name, uintptr_t* offset, uintptr_t* size) {
    Dl_info info;
    void* symp = nullptr;
    if (!dladdr1(reinterpret_cast<void*>(addr), &info, &symp, RTLD_DL_SYMENT) || !info.dli_sname || !info.dli_saddr)
        return false;
    uintptr_t start = reinterpret_cast<uintptr_t>(info.dli_saddr);
    std::lock_guard<std::mutex> g(sym_mu);
    auto it = sym_cache->find(start);
    if (it == sym_cache->end()) {
        int status = 0;
        char* dem = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
        std::string s = status == 0 && dem ? strip_params(dem) : std::string(info.dli_sname);
        std::free(dem);
        it = sym_cache->emplace(start, std::move(s)).first;
    }
    *name = it->second.c_str();
    *offset = addr - start;
    const auto* sym = static_cast<const ElfW(Sym)*>(symp);
    *size = sym ? sym->st_size : 0;
    return true;
}

// The host's "halt": show what the kernel said last (tests read it from stderr in death tests), abort.
[[noreturn]] void halt() {
    std::string t = host_console::text();
    std::fprintf(stderr, "%s\nirqos host: arch::halt()\n", t.c_str());
    std::abort();
}
}  // namespace arch
