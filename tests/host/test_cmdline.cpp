// Host tests for kernel/cmdline.cpp and the "hz=" parameter of kernel/jiffies.cpp: __setup lookup through
// the irqos_params section, every rejection path with its message, a line longer than the kept size (cut
// at a word boundary, with a warning), printing a long line whole, and parse_uint's edge cases.
#include "kernel/cmdline.h"
#include "kernel/errno.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"

#include <gtest/gtest.h>
#include <cstdio>
#include <string>

namespace {

std::string g_seen_value;
int g_flag_calls;
int testval_setup(const char* v) {
    g_seen_value = v;
    return std::string(v) == "bad" ? -EINVAL : 0;
}
int testflag_setup(const char* v) {
    EXPECT_STREQ(v, "") << "a flag's handler gets the empty string";
    g_flag_calls++;
    return 0;
}
__setup("cmdtest_val", testval_setup);
__setup_flag("cmdtest_flag", testflag_setup);

std::string g_out;
void capture(const char* s, size_t n) { g_out.append(s, n); }

class Cmdline : public ::testing::Test {
protected:
    void SetUp() override {
        g_seen_value = "<unset>";
        g_flag_calls = 0;
        g_out.clear();
        saved_hz_ = kernel_hz;
        register_console(&con_);
    }
    void TearDown() override {
        unregister_console(&con_);
        kernel_hz = saved_hz_;
        parse_cmdline("");
    }
    console con_{"cmdline-test", capture, 8, nullptr};
    unsigned saved_hz_ = HZ_DEFAULT;
};

TEST_F(Cmdline, AppliesValueAndFlagParameters) {
    EXPECT_EQ(parse_cmdline("cmdtest_flag  cmdtest_val=42\t"), 0);
    EXPECT_EQ(g_seen_value, "42");
    EXPECT_EQ(g_flag_calls, 1);
    EXPECT_EQ(g_out, "");
}

TEST_F(Cmdline, NameMustMatchExactly) {
    EXPECT_EQ(parse_cmdline("cmdtest_va=1 cmdtest_flagx"), 2);
    EXPECT_EQ(g_seen_value, "<unset>");
    EXPECT_EQ(g_flag_calls, 0);
}

TEST_F(Cmdline, UnknownWordReportedAndIgnored) {
    EXPECT_EQ(parse_cmdline("bogus=1 cmdtest_flag"), 1);
    EXPECT_EQ(g_out, "Unknown kernel command line parameter \"bogus=1\", will be ignored.\n");
    EXPECT_EQ(g_flag_calls, 1) << "parsing continues after a bad word";
}

TEST_F(Cmdline, MalformedWordsReportedAndIgnored) {
    EXPECT_EQ(parse_cmdline("cmdtest_val cmdtest_flag=1 cmdtest_val=bad cmdtest_val=ok"), 3);
    EXPECT_NE(g_out.find("\"cmdtest_val\" needs a value"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("\"cmdtest_flag=1\" is a flag and takes no value"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("Invalid kernel command line parameter \"cmdtest_val=bad\""), std::string::npos) << g_out;
    EXPECT_EQ(g_flag_calls, 0);
    EXPECT_EQ(g_seen_value, "ok");
}

TEST_F(Cmdline, ImagePathFirstWordIsSkipped) {
    EXPECT_EQ(parse_cmdline("/boot/kernel.elf cmdtest_flag"), 0);
    EXPECT_EQ(g_flag_calls, 1);
    EXPECT_EQ(parse_cmdline("cmdtest_flag /boot/kernel.elf"), 1) << "only the first word may be the path";
}

TEST_F(Cmdline, SavedLineAndFlagQuery) {
    parse_cmdline("cmdtest_flag ktestx cmdtest_val=ktest");
    EXPECT_STREQ(saved_command_line(), "cmdtest_flag ktestx cmdtest_val=ktest");
    EXPECT_TRUE(cmdline_has_flag("cmdtest_flag"));
    EXPECT_FALSE(cmdline_has_flag("ktest"));  // neither a prefix of a word nor a value matches
    EXPECT_FALSE(cmdline_has_flag("cmdtest"));
    EXPECT_FALSE(cmdline_has_flag(""));
}

TEST_F(Cmdline, HzParameter) {
    EXPECT_EQ(kernel_hz, HZ_DEFAULT);
    EXPECT_EQ(parse_cmdline("hz=250"), 0);
    EXPECT_EQ(kernel_hz, 250u);
    EXPECT_EQ(parse_cmdline("hz=100"), 0);  // HZ_MIN itself is accepted
    EXPECT_EQ(kernel_hz, 100u);
    EXPECT_EQ(parse_cmdline("hz=10000"), 0);  // and HZ_MAX
    EXPECT_EQ(kernel_hz, 10000u);
    g_out.clear();
    EXPECT_EQ(parse_cmdline("hz=99 hz=10001 hz=12x hz="), 4);
    EXPECT_EQ(kernel_hz, 10000u);
    EXPECT_NE(g_out.find("hz=99 rejected: HZ must be 100..10000, keeping 10000\n"), std::string::npos) << g_out;
    EXPECT_NE(g_out.find("hz=12x rejected"), std::string::npos) << g_out;
}

// Words of 18 bytes with the blank: "cmdtest_val=00007 ".
std::string numbered_words(int n) {
    std::string line;
    char w[32];
    for (int i = 0; i < n; i++) {
        std::snprintf(w, sizeof w, "cmdtest_val=%05d ", i);
        line += w;
    }
    return line;
}

TEST_F(Cmdline, LongLineIsCutAfterTheLastWholeWordWithAWarning) {
    std::string line = numbered_words(200);                  // 3600 bytes
    int last_whole = (int)(COMMAND_LINE_SIZE - 1) / 18 - 1;  // the last word that ends within 2047 bytes
    int rejected = parse_cmdline(line.c_str());
    EXPECT_EQ(g_seen_value, std::to_string(100000 + last_whole).substr(1)) << "a cut word was applied";
    EXPECT_EQ(rejected, 200 - (last_whole + 1)) << "the words left out count as rejected";
    std::string saved = saved_command_line();
    EXPECT_LE(saved.size(), COMMAND_LINE_SIZE - 1);
    EXPECT_EQ(saved, line.substr(0, saved.size()));
    EXPECT_EQ(saved.back(), ' ') << "cut between words";
    char want[160];
    std::snprintf(want, sizeof want,
                  "Kernel command line is 3600 bytes, more than the 2047 kept: %d word(s) from \"cmdtest_val=%05d\" on "
                  "ignored.\n",
                  200 - (last_whole + 1), last_whole + 1);
    EXPECT_NE(g_out.find(want), std::string::npos) << g_out.substr(0, 300);
    EXPECT_EQ(g_out.find("Unknown"), std::string::npos);
}

TEST_F(Cmdline, LineOfTheFullSizeIsKeptWhole) {
    const std::string flag = "cmdtest_flag";
    std::string line = numbered_words(113);  // 2034 bytes, then blanks and a flag up to 2047
    line.resize(COMMAND_LINE_SIZE - 1 - flag.size(), ' ');
    line += flag;
    ASSERT_EQ(line.size(), COMMAND_LINE_SIZE - 1);
    EXPECT_EQ(parse_cmdline(line.c_str()), 0);
    EXPECT_EQ(std::string(saved_command_line()), line);
    EXPECT_EQ(g_flag_calls, 1);
    EXPECT_EQ(g_out, "");
}

TEST_F(Cmdline, PrintShowsALongLineWhole) {
    std::string line = numbered_words(150);  // 2700 bytes: more than one printk record holds
    cmdline_print(line.c_str());
    EXPECT_EQ(g_out, "Command line: " + line + "\n");
    g_out.clear();
    cmdline_print("");
    EXPECT_EQ(g_out, "Command line: \n");
}

TEST(ParseUint, DecimalHexAndJunk) {
    unsigned long v = 7;
    EXPECT_TRUE(parse_uint("0", &v));
    EXPECT_EQ(v, 0u);
    EXPECT_TRUE(parse_uint("1000", &v));
    EXPECT_EQ(v, 1000u);
    EXPECT_TRUE(parse_uint("0x1F", &v));
    EXPECT_EQ(v, 0x1fu);
    EXPECT_TRUE(parse_uint("18446744073709551615", &v));
    EXPECT_EQ(v, ~0ul);
    v = 7;
    EXPECT_FALSE(parse_uint("18446744073709551616", &v));
    EXPECT_FALSE(parse_uint("0x10000000000000000", &v));
    EXPECT_FALSE(parse_uint("", &v));
    EXPECT_FALSE(parse_uint("0x", &v));
    EXPECT_FALSE(parse_uint("12x", &v));
    EXPECT_FALSE(parse_uint("-1", &v));
    EXPECT_FALSE(parse_uint(" 1", &v));
    EXPECT_EQ(v, 7u) << "a failed parse must not store";
}

}  // namespace
