// GoogleTest main for the host tests: installs the printk capture console and resets the portable
// core (host_env::reset_all) before every test of every suite, so no test sees another's state.
#include "tests/host/support/host_env.h"
#include <gmock/gmock.h>

namespace {
class ResetListener : public ::testing::EmptyTestEventListener {
    void OnTestStart(const ::testing::TestInfo&) override { host_env::reset_all(); }
};
}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleMock(&argc, argv);
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    ::testing::UnitTest::GetInstance()->listeners().Append(new ResetListener);
    return RUN_ALL_TESTS();
}
