// The printk log (see printk_log.h): record text goes into a 64 KiB byte ring, and a ring of
// descriptors remembers where each record starts, how long it is and its level. Sequence numbers only
// grow, so a console that remembers the next number it wants can tell exactly how many records were
// overwritten before it got to them (Linux's per-console seq and "messages dropped" accounting in
// kernel/printk/printk.c). `dmesg` reads the text ring as a stream, as Linux's syslog READ_ALL does.
#include "kernel/printk.h"
#include "kernel/printk_log.h"

raw_spinlock_t logbuf_lock;

namespace {

struct LogDesc {
    uint64_t pos;  // where the text starts, counted in bytes ever stored
    uint16_t len;
    int8_t level;
};
static_assert(PRINTK_LINE_MAX < 65536, "a record's length must fit its descriptor");

char log_buf[LOG_BUF_LEN];
LogDesc descs[LOG_RECORDS];
uint64_t text_written;  // bytes ever stored; the ring holds the last LOG_BUF_LEN of them
uint64_t first_seq, next_seq;
uint64_t clear_pos;  // printk_log_clear: dmesg shows nothing stored before this point

}  // namespace

uint64_t log_store(int level, const char* text, size_t len) {
    if (len > PRINTK_LINE_MAX) len = PRINTK_LINE_MAX;
    uint64_t seq = next_seq++;
    LogDesc& d = descs[seq % LOG_RECORDS];
    d.pos = text_written;
    d.len = (uint16_t)len;
    d.level = (int8_t)level;
    for (size_t i = 0; i < len; i++) log_buf[(text_written + i) % LOG_BUF_LEN] = text[i];
    text_written += len;
    // The oldest records go when their descriptor slot is reused or any of their text was overwritten.
    uint64_t oldest_text = text_written > LOG_BUF_LEN ? text_written - LOG_BUF_LEN : 0;
    while (first_seq < next_seq &&
           (next_seq - first_seq > LOG_RECORDS || descs[first_seq % LOG_RECORDS].pos < oldest_text))
        first_seq++;
    return seq;
}

uint64_t log_first_seq() { return first_seq; }
uint64_t log_next_seq() { return next_seq; }

long log_read(uint64_t seq, int* level, char* buf) {
    if (seq < first_seq || seq >= next_seq) return -1;
    const LogDesc& d = descs[seq % LOG_RECORDS];
    for (size_t i = 0; i < d.len; i++) buf[i] = log_buf[(d.pos + i) % LOG_BUF_LEN];
    *level = d.level;
    return d.len;
}

size_t printk_log_read(char* out, size_t n) {
    SpinLockIrqSave guard(logbuf_lock);
    uint64_t start = text_written > LOG_BUF_LEN ? text_written - LOG_BUF_LEN : 0;
    if (start < clear_pos) start = clear_pos;
    if (n > text_written - start) n = (size_t)(text_written - start);
    start = text_written - n;
    for (size_t i = 0; i < n; i++) out[i] = log_buf[(start + i) % LOG_BUF_LEN];
    return n;
}

unsigned long printk_log_seq() {
    SpinLockIrqSave guard(logbuf_lock);
    return text_written;
}

size_t printk_log_read_since(unsigned long seq, char* out, size_t n, unsigned long* lost) {
    SpinLockIrqSave guard(logbuf_lock);
    if (seq < clear_pos) seq = clear_pos;  // cleared after the mark: what is left came later
    if (seq > text_written) seq = text_written;
    uint64_t oldest = text_written > LOG_BUF_LEN ? text_written - LOG_BUF_LEN : 0;
    *lost = seq < oldest ? (unsigned long)(oldest - seq) : 0;
    if (seq < oldest) seq = oldest;
    if (n > text_written - seq) n = (size_t)(text_written - seq);
    for (size_t i = 0; i < n; i++) out[i] = log_buf[(seq + i) % LOG_BUF_LEN];
    return n;
}

void log_mark_cleared() { clear_pos = text_written; }
