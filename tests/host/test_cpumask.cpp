// Host tests for kernel/cpumask.{h,cpp}: the bit operations and for_each_cpu, the online mask following
// the simulated CPU count, and the list format with Linux's bitmap_parselist rules and errors.
#include "kernel/cpumask.h"

#include "tests/host/support/host_env.h"
#include "tests/host/support/sim_cpu.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

class Cpumask : public IrqTest {};

cpumask_t parse_ok(const char* s) {
    cpumask_t m;
    EXPECT_EQ(cpulist_parse(s, &m), 0) << s;
    return m;
}
std::string print(const cpumask_t& m) {
    char buf[CPULIST_BUF_SIZE];
    int n = cpulist_print(buf, sizeof(buf), &m);
    EXPECT_EQ(size_t(n), strlen(buf));
    return buf;
}
std::vector<unsigned> cpus(const cpumask_t& m) {
    std::vector<unsigned> v;
    for_each_cpu(cpu, &m) v.push_back(cpu);
    return v;
}

TEST_F(Cpumask, SetClearTestFirstNextWeight) {
    cpumask_t m;
    cpumask_clear(&m);
    EXPECT_TRUE(cpumask_empty(&m));
    EXPECT_EQ(cpumask_first(&m), nr_cpu_ids);
    cpumask_set_cpu(5, &m);
    cpumask_set_cpu(1, &m);
    cpumask_set_cpu(NR_CPUS, &m);  // out of range: ignored
    EXPECT_TRUE(cpumask_test_cpu(1, &m));
    EXPECT_FALSE(cpumask_test_cpu(2, &m));
    EXPECT_FALSE(cpumask_test_cpu(NR_CPUS, &m));
    EXPECT_EQ(cpumask_first(&m), 1u);
    EXPECT_EQ(cpumask_next(1, &m), 5u);
    EXPECT_EQ(cpumask_next(5, &m), nr_cpu_ids);
    EXPECT_EQ(cpumask_weight(&m), 2u);
    EXPECT_EQ(cpus(m), (std::vector<unsigned>{1, 5}));
    cpumask_clear_cpu(1, &m);
    EXPECT_EQ(cpus(m), (std::vector<unsigned>{5}));
}

TEST_F(Cpumask, AndOrAndnotReportEmptiness) {
    cpumask_t a = parse_ok("0-3"), b = parse_ok("2-5"), d;
    EXPECT_TRUE(cpumask_and(&d, &a, &b));
    EXPECT_EQ(print(d), "2-3");
    cpumask_or(&d, &a, &b);
    EXPECT_EQ(print(d), "0-5");
    EXPECT_TRUE(cpumask_andnot(&d, &a, &b));
    EXPECT_EQ(print(d), "0-1");
    cpumask_t c = parse_ok("6-7");
    EXPECT_FALSE(cpumask_and(&d, &a, &c));
    EXPECT_TRUE(cpumask_empty(&d));
    EXPECT_FALSE(cpumask_intersects(&a, &c));
    EXPECT_TRUE(cpumask_subset(cpumask_of(2), &a));
    EXPECT_FALSE(cpumask_subset(&b, &a));
    EXPECT_EQ(cpumask_first_and(&b, &c), nr_cpu_ids);
    EXPECT_EQ(cpumask_first_and(&a, &b), 2u);
    EXPECT_TRUE(cpumask_empty(cpumask_of(NR_CPUS)));
    EXPECT_EQ(cpumask_weight(cpu_possible_mask), NR_CPUS);
}

TEST_F(Cpumask, OnlineMaskFollowsTheOnlineCount) {
    EXPECT_EQ(print(*cpu_online_mask), "0");
    SimCpu::set_online(3);
    EXPECT_EQ(print(*cpu_online_mask), "0-2");
    EXPECT_TRUE(cpu_online(2));
    EXPECT_FALSE(cpu_online(3));
    cpumask_t m = parse_ok("2,4"), d;
    EXPECT_TRUE(cpumask_and(&d, &m, cpu_online_mask));
    EXPECT_EQ(print(d), "2");
    SimCpu::set_online(1);
    EXPECT_FALSE(cpumask_and(&d, &m, cpu_online_mask));
}

TEST_F(Cpumask, ParseListsLikeLinux) {
    EXPECT_EQ(print(parse_ok("0-2,5")), "0-2,5");
    EXPECT_EQ(print(parse_ok("5,0-2")), "0-2,5");
    EXPECT_EQ(print(parse_ok("3")), "3");
    EXPECT_EQ(print(parse_ok("")), "");
    EXPECT_EQ(print(parse_ok(" , 1 ,,2\n")), "1-2");
    EXPECT_EQ(print(parse_ok("all")), "0-7");
    EXPECT_EQ(print(parse_ok("N")), "7");
    EXPECT_EQ(print(parse_ok("4-N")), "4-7");
    EXPECT_EQ(print(parse_ok("0-7:2/4")), "0-1,4-5");  // two of every four
    EXPECT_EQ(print(parse_ok("0,2,4,6")), "0,2,4,6");
}

TEST_F(Cpumask, ParseErrorsAreLinuxs) {
    cpumask_t m;
    EXPECT_EQ(cpulist_parse("8", &m), -ERANGE);  // NR_CPUS is 8: CPU 8 does not exist
    EXPECT_EQ(cpulist_parse("0-8", &m), -ERANGE);
    EXPECT_EQ(cpulist_parse("3-1", &m), -EINVAL);
    EXPECT_EQ(cpulist_parse("x", &m), -EINVAL);
    EXPECT_EQ(cpulist_parse("1-", &m), -EINVAL);
    EXPECT_EQ(cpulist_parse("1;2", &m), -EINVAL);
    EXPECT_EQ(cpulist_parse("-1", &m), -EINVAL);
    EXPECT_EQ(cpulist_parse("0-7:0/0", &m), -EINVAL);  // group of 0
    EXPECT_EQ(cpulist_parse("0-7:3/2", &m), -EINVAL);  // more used than the group
    EXPECT_EQ(cpulist_parse("0-7:2", &m), -EINVAL);
    EXPECT_EQ(cpulist_parse("99999999999", &m), -EOVERFLOW);
}

TEST_F(Cpumask, PrintTruncatesSafely) {
    cpumask_t m = parse_ok("0,2,4,6");
    char small[4];
    EXPECT_EQ(cpulist_print(small, sizeof(small), &m), 7);  // "0,2,4,6" needs 7
    EXPECT_STREQ(small, "0,2");
}

}  // namespace
