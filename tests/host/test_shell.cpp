// Host tests for kernel/shell: keystrokes in, exact echo and command dispatch out. Line editing
// (backspace/DEL, Ctrl-U, Ctrl-C, arrows, Delete, history), escape sequences consumed whole (a lone ESC
// never eats the next key), CR/LF handling, argument splitting, the unknown-command message, `help`,
// and the built-in commands' answers (dmesg and its -n, kmsg, echo, tty).
#include "kernel/errno.h"
#include "kernel/irq/interrupt.h"
#include "kernel/jiffies.h"
#include "kernel/printk.h"
#include "kernel/shell/shell.h"
#include "kernel/tty.h"

#include "tests/host/support/capture_console.h"
#include "tests/host/support/host_env.h"

#include <gtest/gtest.h>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string g_out;
std::vector<std::vector<std::string>> g_calls;  // argv of every t_echo run

void capture(const char* s, size_t n) { g_out.append(s, n); }

int t_echo(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    g_calls.push_back(args);
    EXPECT_EQ(argv[argc], nullptr) << "argv must be NULL-terminated";
    return 7;
}
int t_fail(int, char**) { return -EIO; }

}  // namespace

SHELL_COMMAND("t_echo", "test: record the arguments", t_echo);
SHELL_COMMAND("t_fail", "test: fail with -EIO", t_fail);

namespace {

class Shell : public IrqTest {
protected:
    void SetUp() override {
        IrqTest::SetUp();
        previous_ = shell_set_output(capture);
        shell_init();
        g_out.clear();
        g_calls.clear();
    }
    void TearDown() override { shell_set_output(previous_); }
    void keys(const std::string& s) {
        for (char c : s) shell_input(c);
    }
    // Type a whole command and return what the shell printed, minus the echo and the final prompt.
    std::string run(const std::string& line) {
        g_out.clear();
        keys(line + "\r");
        std::string out = g_out;
        EXPECT_EQ(out.substr(0, line.size() + 1), line + "\n");
        EXPECT_GE(out.size(), line.size() + 1 + strlen(SHELL_PROMPT));
        EXPECT_EQ(out.substr(out.size() - strlen(SHELL_PROMPT)), SHELL_PROMPT);
        return out.substr(line.size() + 1, out.size() - line.size() - 1 - strlen(SHELL_PROMPT));
    }
    shell_output_fn previous_ = nullptr;
};

TEST_F(Shell, SetOutputReturnsThePreviousSink) {
    EXPECT_EQ(shell_set_output(capture), capture);
    EXPECT_EQ(previous_, tty_write) << "the default sink writes to every console";
}

TEST_F(Shell, PromptText) {
    shell_prompt();
    EXPECT_EQ(g_out, "irqos> ");
}

TEST_F(Shell, EchoesAndRunsOnEnterWithArguments) {
    keys("t_echo a  b");
    EXPECT_EQ(g_out, "t_echo a  b");
    EXPECT_TRUE(g_calls.empty()) << "nothing runs before Enter";
    keys("\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0], (std::vector<std::string>{"t_echo", "a", "b"}));
    EXPECT_EQ(g_out, "t_echo a  b\nirqos> ");
}

TEST_F(Shell, CrLfIsOneEnterAndLfAloneIsEnter) {
    keys("t_echo 1\r\n");
    keys("t_echo 2\n");
    ASSERT_EQ(g_calls.size(), 2u);
    EXPECT_EQ(g_calls[1][1], "2");
    EXPECT_EQ(g_out, "t_echo 1\nirqos> t_echo 2\nirqos> ");
}

TEST_F(Shell, EmptyLineRunsNothingAndPromptsAgain) {
    keys("   \r");
    EXPECT_TRUE(g_calls.empty());
    EXPECT_EQ(g_out, "   \nirqos> ");
}

TEST_F(Shell, BackspaceAndDelBothEraseTheLastCharacter) {
    keys("t_ecx\bho\x7f\x7fho");
    EXPECT_EQ(g_out, "t_ecx\b \bho\b \b\b \bho");
    keys("\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0][0], "t_echo");
}

TEST_F(Shell, BackspaceAtLineStartDoesNothing) {
    keys("\b\x7f");
    EXPECT_EQ(g_out, "");
}

TEST_F(Shell, CtrlUKillsTheLine) {
    keys("abc\x15");
    EXPECT_EQ(g_out, "abc\b\b\b   \b\b\b");
    keys("t_echo\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0], (std::vector<std::string>{"t_echo"}));
}

TEST_F(Shell, CtrlCCancelsTheLineWithoutRunningIt) {
    keys("t_echo x\x03");
    EXPECT_EQ(g_out, "t_echo x^C\nirqos> ");
    EXPECT_TRUE(g_calls.empty());
    keys("t_echo y\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0][1], "y");
}

TEST_F(Shell, LeftArrowInsertsInTheMiddle) {
    keys("t_eco");
    g_out.clear();
    keys("\x1b[D");  // cursor left, before 'o'
    EXPECT_EQ(g_out, "\b");
    keys("h");  // redraw "ho", back over the "o"
    EXPECT_EQ(g_out, "\bho\b");
    keys("\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0][0], "t_echo");
}

TEST_F(Shell, RightArrowAndDeleteKey) {
    keys("xt_echo ab");
    for (int i = 0; i < 10; i++) keys("\x1b[D");
    g_out.clear();
    keys("\x1b[3~");  // Delete: removes the 'x' under the cursor, redraws the rest
    EXPECT_EQ(g_out, "t_echo ab " + std::string(10, '\b'));
    for (int i = 0; i < 7; i++) keys("\x1b[C");
    keys("\x1bOC");  // the SS3 form of the right arrow (application cursor mode) moves too
    keys("Z\r");     // inserted between 'a' and 'b'
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0], (std::vector<std::string>{"t_echo", "aZb"}));
}

TEST_F(Shell, ArrowsStopAtTheLineEnds) {
    keys("\x1b[D\x1b[Cab\x1b[C");
    EXPECT_EQ(g_out, "ab");
}

TEST_F(Shell, UpArrowRecallsHistoryDownReturnsToTheDraft) {
    keys("t_echo one\r");
    keys("t_echo two\r");
    keys("t_echo two\r");  // a repeat is not stored twice
    keys("dra");
    keys("\x1b[A");
    keys("\x1b[A");
    keys("\r");
    ASSERT_EQ(g_calls.size(), 4u);
    EXPECT_EQ(g_calls[3], (std::vector<std::string>{"t_echo", "one"}));

    g_out.clear();
    keys("dra\x1b[A\x1b[B");  // up shows the newest entry, down restores what was typed
    EXPECT_EQ(g_out, std::string("dra") + "\b\b\b" + "t_echo one" + "\b\b\b\b\b\b\b\b\b\b" + "dra" + "       " +
                         "\b\b\b\b\b\b\b");
    keys("\x1b[A\x1b[A\x1b[A\x1b[A");  // older than the oldest: stays on the oldest
    g_calls.clear();
    keys("\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0][1], "one");
}

TEST_F(Shell, HistoryKeepsOnlyTheNewestEntries) {
    for (size_t i = 0; i < SHELL_HISTORY + 3; i++) keys("t_echo " + std::to_string(i) + "\r");
    for (size_t i = 0; i < SHELL_HISTORY + 5; i++) keys("\x1b[A");
    g_calls.clear();
    keys("\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0][1], std::to_string(3)) << "the oldest kept is entry 3 of 0..10";
}

TEST_F(Shell, OtherEscapeSequencesAndControlCharactersAreIgnored) {
    keys(
        "a\x1b[1;5H\x1b[15~\t\x04"
        "b");  // (split: "\x04b" would be one hex escape)
    EXPECT_EQ(g_out, "ab");
}

TEST_F(Shell, LoneEscDoesNotSwallowEnter) {
    keys("t_echo a\x1b\r");
    ASSERT_EQ(g_calls.size(), 1u) << "Enter after a lone ESC was eaten";
    EXPECT_EQ(g_calls[0], (std::vector<std::string>{"t_echo", "a"}));
    EXPECT_EQ(g_out, "t_echo a\nirqos> ");
}

TEST_F(Shell, LoneEscDoesNotSwallowOtherKeys) {
    keys("t_echo ab\x1b\x7f");  // ESC, Backspace: the Backspace works
    keys("\x1b\x15t_echo c");   // ESC, Ctrl-U: the line is killed
    keys("\x1b\x1b[D\x1b\r");   // ESC ESC [ D: the second ESC starts a left arrow
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0], (std::vector<std::string>{"t_echo", "c"}));
}

TEST_F(Shell, OscIsConsumedWholeWithBelOrSt) {
    keys(
        "t_echo \x1b]0;rm -rf title\x07"
        "x");
    keys(
        "\x1b]2;another; title\x1b\\"
        "y\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0], (std::vector<std::string>{"t_echo", "xy"}));
    EXPECT_EQ(g_out.find("title"), std::string::npos) << "never echoed";
}

TEST_F(Shell, OtherCommandStringsAreConsumedToo) {
    keys(
        "t_echo \x1bP1$r0m\x1b\\"
        "\x1b_apc\x1b\\"
        "\x1b^pm\x1b\\"
        "\x1bXsos\x1b\\"
        "k\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0][1], "k");
}

TEST_F(Shell, EnterOrCtrlCEndABrokenSequenceAndStillWork) {
    keys("t_echo q\x1b]0;unterminated\r");  // no BEL or ST: Enter is not part of a string
    keys("t_echo r\x1b[12\r");              // a control sequence cut short by Enter
    ASSERT_EQ(g_calls.size(), 2u);
    EXPECT_EQ(g_calls[0][1], "q");
    EXPECT_EQ(g_calls[1][1], "r");
    g_out.clear();
    keys("t_echo s\x1b]x\x03");
    EXPECT_EQ(g_out, "t_echo s^C\nirqos> ");
    EXPECT_EQ(g_calls.size(), 2u);
}

TEST_F(Shell, CsiWithParametersAndIntermediatesIsNeverEchoedOrRun) {
    keys(
        "t_echo \x1b[200~pasted\x1b[201~ \x1b[?25l\x1b[1;5H\x1b[38;2;1;2;3m\x1b(B\x1b"
        "7\x1b=z\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0], (std::vector<std::string>{"t_echo", "pasted", "z"}));
    EXPECT_EQ(g_out, "t_echo pasted z\nirqos> ");
}

TEST_F(Shell, UpArrowStillRecallsHistoryAfterOtherSequences) {
    keys("t_echo h\r");
    keys("\x1b]0;t\x07\x1b\x1b[A\r");
    ASSERT_EQ(g_calls.size(), 2u);
    EXPECT_EQ(g_calls[1], (std::vector<std::string>{"t_echo", "h"}));
    keys("\x1bOA\r");  // SS3 up arrow
    ASSERT_EQ(g_calls.size(), 3u);
    EXPECT_EQ(g_calls[2][1], "h");
}

TEST_F(Shell, OverlongLineIsRefusedNotTruncatedSilently) {
    std::string word(SHELL_LINE_MAX + 20, 'w');
    keys("t_echo ");
    keys(word);
    EXPECT_EQ(g_out.size(), SHELL_LINE_MAX) << "characters beyond the limit are not echoed";
    keys("\r");
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0][1].size(), SHELL_LINE_MAX - 7);
}

TEST_F(Shell, UnknownCommandMessage) {
    EXPECT_EQ(run("frob 1 2"), "unknown command: frob (try 'help')\n");
    EXPECT_TRUE(g_calls.empty());
}

TEST_F(Shell, ExecuteReturnsTheCommandsResult) {
    char a[] = "t_echo";
    char b[] = "t_fail";
    char c[] = "nope";
    char d[] = " \t ";
    EXPECT_EQ(shell_execute(a), 7);
    EXPECT_EQ(shell_execute(b), -EIO);
    EXPECT_EQ(shell_execute(c), -ENOENT);
    EXPECT_EQ(shell_execute(d), 0);
}

TEST_F(Shell, SplitOnBlanksAndTabs) {
    char line[] = "\t one  two\tthree ";
    char* argv[4];
    ASSERT_EQ(shell_split(line, argv, 4), 3);
    EXPECT_STREQ(argv[0], "one");
    EXPECT_STREQ(argv[1], "two");
    EXPECT_STREQ(argv[2], "three");
}

TEST_F(Shell, TooManyWordsIsRefused) {
    std::string line = "t_echo";
    for (int i = 1; i <= SHELL_ARGS_MAX; i++) line += " x";
    EXPECT_EQ(run(line), "too many arguments (at most 16 words)\n");
    EXPECT_TRUE(g_calls.empty());
    line = "t_echo";
    for (int i = 1; i < SHELL_ARGS_MAX; i++) line += " x";
    run(line);
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0].size(), (size_t)SHELL_ARGS_MAX);
}

TEST_F(Shell, FindKnowsRegisteredCommands) {
    ASSERT_NE(shell_find("t_echo"), nullptr);
    EXPECT_STREQ(shell_find("t_echo")->help, "test: record the arguments");
    EXPECT_EQ(shell_find("t_ech"), nullptr);
    for (const char* name : {"help", "interrupts", "irq", "uptime", "dmesg"})
        EXPECT_NE(shell_find(name), nullptr) << name;
}

TEST_F(Shell, HelpListsEveryCommandSortedWithItsHelp) {
    std::string out = run("help");
    // Names are padded to the longest one, so the help texts line up.
    EXPECT_NE(out.find("\n  t_echo    "), std::string::npos) << out;
    size_t col_t = out.find("test: record the arguments");
    size_t col_i = out.find("per-IRQ counts in the /proc/interrupts layout\n");
    ASSERT_NE(col_i, std::string::npos) << out;
    EXPECT_EQ(col_t - out.rfind('\n', col_t), col_i - out.rfind('\n', col_i)) << out;
    std::string prev_name;
    size_t lines = 0;
    for (size_t pos = 0; pos < out.size(); pos = out.find('\n', pos) + 1) {
        std::string name = out.substr(pos + 2, out.find(' ', pos + 2) - pos - 2);
        EXPECT_LT(prev_name, name) << "not sorted at " << name;
        prev_name = name;
        lines++;
    }
    EXPECT_GE(lines, 7u);  // help interrupts irq uptime dmesg tty t_echo t_fail
}

TEST_F(Shell, UptimeShowsSecondsAndJiffies) {
    host_env::set_jiffies(12345);
    EXPECT_EQ(run("uptime"), "up 12.345 s (12345 jiffies, HZ=1000)\n");
    kernel_hz = 250;
    host_env::set_jiffies(1001);
    EXPECT_EQ(run("uptime"), "up 4.004 s (1001 jiffies, HZ=250)\n");
}

TEST_F(Shell, DmesgPrintsTheLog) {
    printk_log_clear();
    pr_info("first line\n");
    pr_err("second %d\n", 2);
    EXPECT_EQ(run("dmesg"), "first line\nsecond 2\n");
}

TEST_F(Shell, IrqCommandRejectsBadNumbers) {
    EXPECT_EQ(run("irq 256"), "irq: invalid IRQ number '256' (0..255)\n");
    EXPECT_EQ(run("irq 1x"), "irq: invalid IRQ number '1x' (0..255)\n");
    EXPECT_EQ(run("irq"), "usage: irq N  (N = 0..255, decimal or 0x-hex)\n");
    EXPECT_EQ(run("irq 1 2"), "usage: irq N  (N = 0..255, decimal or 0x-hex)\n");
}

TEST_F(Shell, IrqCommandDumpsTheDescriptor) {
    std::string out = run("irq 0x20");
    EXPECT_EQ(out.substr(0, 8), "irq 32:\n") << out;
    EXPECT_NE(out.find("depth:    1\n"), std::string::npos) << out;
}

TEST_F(Shell, InterruptsCommandPrintsTheTable) {
    std::string out = run("interrupts");
    EXPECT_EQ(out.substr(0, 16), "           CPU0 ") << out;
    EXPECT_NE(out.find("ERR:"), std::string::npos);
}

TEST_F(Shell, TtyCommandShowsCounters) {
    tty_reset();
    tty_receive_char('a');
    EXPECT_EQ(run("tty"), "received 1, consumed 0, buffered 1, dropped 0, throttled 0 (ring of 512)\n");
    tty_reset();
}

TEST_F(Shell, EchoPrintsItsWords) {
    EXPECT_EQ(run("echo  a   b"), "a b\n");
    EXPECT_EQ(run("echo"), "\n");
}

TEST_F(Shell, KmsgPutsMessagesIntoTheLog) {
    printk_log_clear();
    EXPECT_EQ(run("kmsg hello there"), "");
    EXPECT_EQ(run("kmsg -n 3 -l 3 again"), "");
    char buf[256];
    std::string log(buf, printk_log_read(buf, sizeof buf));
    EXPECT_EQ(log, "hello there\nagain #1\nagain #2\nagain #3\n");
    EXPECT_EQ(run("kmsg -n 0 x"), "usage: kmsg [-n COUNT(1..1000000)] [-l LEVEL(0..7)] TEXT...\n");
    EXPECT_EQ(run("kmsg -l 8 x"), "usage: kmsg [-n COUNT(1..1000000)] [-l LEVEL(0..7)] TEXT...\n");
    EXPECT_EQ(run("kmsg"), "usage: kmsg [-n COUNT(1..1000000)] [-l LEVEL(0..7)] TEXT...\n");
}

TEST_F(Shell, DmesgMinusNSetsTheConsoleLevel) {
    int saved = console_loglevel;
    EXPECT_EQ(run("dmesg -n 1"), "");
    EXPECT_EQ(console_loglevel, 1);
    EXPECT_EQ(run("dmesg -n 0"), "dmesg: invalid level '0' (1..8)\n");
    EXPECT_EQ(run("dmesg -n 9"), "dmesg: invalid level '9' (1..8)\n");
    EXPECT_EQ(run("dmesg -x"), "usage: dmesg [-n LEVEL]\n");
    console_set_loglevel(saved);
}

// With the real sink (tty_write): what the shell prints reaches the terminal at any console log level,
// and stays out of the kernel log.
std::string g_term;
size_t term_write(const char* s, size_t n) {
    g_term.append(s, n);
    return n;
}
tty_output term_out = {"shell-test", term_write, nullptr};

TEST_F(Shell, EchoAndOutputReachTheTerminalAtLoglevelZeroAndStayOutOfDmesg) {
    shell_set_output(tty_write);
    tty_register_output(&term_out);
    g_term.clear();
    int saved = console_loglevel;
    ASSERT_EQ(console_set_loglevel(0), 0);
    printk_log_clear();
    shell_prompt();
    keys("t_echo z\r");
    keys("echo visible\r");
    EXPECT_EQ(g_term, "irqos> t_echo z\nirqos> echo visible\nvisible\nirqos> ");
    g_term.clear();
    keys("dmesg\r");
    EXPECT_EQ(g_term, "dmesg\nirqos> ") << "the log holds no echo and no shell output";
    console_set_loglevel(saved);
    tty_unregister_output(&term_out);
    host_console::reset();
}

}  // namespace
