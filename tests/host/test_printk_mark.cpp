// Host tests for the printk log marks (kernel/printk.h printk_log_seq / printk_log_read_since): a mark
// taken before a message reads back exactly what was stored after it, whatever the log held before; a
// mark the ring has since overwritten says how much was lost; and a cleared log still answers.
#include "kernel/printk.h"

#include <gtest/gtest.h>
#include <string>

#include "tests/host/support/host_env.h"

namespace {

std::string since(unsigned long mark, unsigned long* lost, size_t max = 1 << 17) {
    std::string buf(max, '\0');
    size_t n = printk_log_read_since(mark, buf.data(), max, lost);
    buf.resize(n);
    return buf;
}

class PrintkMark : public IrqTest {};

TEST_F(PrintkMark, ReadsExactlyWhatFollowsTheMark) {
    printk(KERN_INFO "before the mark\n");
    unsigned long mark = printk_log_seq();
    printk(KERN_INFO "one\n");
    printk(KERN_WARNING "two %d\n", 2);
    unsigned long lost = 99;
    EXPECT_EQ(since(mark, &lost), "one\ntwo 2\n");
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(printk_log_seq(), mark + 10);
}

TEST_F(PrintkMark, ShortBufferGetsTheOldestTextFirst) {
    unsigned long mark = printk_log_seq();
    printk(KERN_INFO "abcdef\n");
    unsigned long lost = 0;
    EXPECT_EQ(since(mark, &lost, 3), "abc");
    EXPECT_EQ(since(mark + 3, &lost), "def\n");
}

TEST_F(PrintkMark, OverwrittenTextIsReportedAsLost) {
    unsigned long mark = printk_log_seq();
    std::string line(99, 'x');
    for (int i = 0; i < 700; i++) printk(KERN_INFO "%s\n", line.c_str());  // 70,000 bytes > the 64 KiB ring
    unsigned long lost = 0;
    std::string got = since(mark, &lost);
    EXPECT_EQ(lost, 70000u - 65536u);
    EXPECT_EQ(got.size(), 65536u);
    EXPECT_EQ(lost + got.size(), printk_log_seq() - mark);
}

TEST_F(PrintkMark, AMarkFromBeforeAClearReadsWhatCameAfterIt) {
    printk(KERN_INFO "old text\n");
    unsigned long mark = printk_log_seq();
    printk_log_clear();
    printk(KERN_INFO "new\n");
    unsigned long lost = 1;
    EXPECT_EQ(since(mark, &lost), "new\n");
    EXPECT_EQ(lost, 0u);
}

}  // namespace
