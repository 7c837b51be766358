// The capture console: registered with printk (kernel/printk.cpp), keeps everything in a string.
#include "tests/host/support/capture_console.h"
#include "kernel/printk.h"
#include <mutex>

namespace {
std::mutex mu;
std::string& buffer() {
    static std::string* s = new std::string;  // never destroyed: printk may run during exit
    return *s;
}
void capture_write(const char* text, size_t len) {
    std::lock_guard<std::mutex> g(mu);
    buffer().append(text, len);
}
console capture_console_obj = {"capture", capture_write, LOGLEVEL_DEBUG + 1, nullptr};
bool installed;
}  // namespace

namespace host_console {
void install() {
    if (installed) return;
    installed = true;
    register_console(&capture_console_obj);
}
std::string text() {
    std::lock_guard<std::mutex> g(mu);
    return buffer();
}
void clear() {
    std::lock_guard<std::mutex> g(mu);
    buffer().clear();
}
void reset() {
    clear();
    __atomic_store_n(&capture_console_obj.loglevel, LOGLEVEL_DEBUG + 1, __ATOMIC_RELAXED);
}
size_t count(const std::string& needle) {
    std::string t = text();
    size_t n = 0;
    for (size_t pos = t.find(needle); pos != std::string::npos; pos = t.find(needle, pos + needle.size())) n++;
    return n;
}
}  // namespace host_console
