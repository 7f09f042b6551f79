using System.Diagnostics;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>scripts/test-run.sh: one command, pytest's output and pytest's status, nothing left running.</summary>
public class TestRunScriptTests
{
    private static readonly string Repo = Repository.Root;

    private static Task<(int ExitCode, string Output)> RunAsync(params string[] selection)
        => Processes.RunAsync("bash", [Path.Combine(Repo, "scripts/test-run.sh"), .. selection],
            environment: new Dictionary<string, string> { ["TEST_RUN_NO_BUILD"] = "1" }, // the test build has built the AppHost
            timeout: TimeSpan.FromMinutes(5));

    [Fact]
    public async Task A_passing_selection_prints_pytest_output_and_exits_zero()
    {
        var (exitCode, output) = await RunAsync("tests/live/test_stack.py");
        Assert.True(exitCode == 0, $"exit {exitCode}:\n{output}");
        Assert.Matches(@"=+ \d+ passed", output);
        Assert.Contains("test-runner finished with exit code 0: stopping the application", output);
    }

    [Fact]
    public async Task A_failing_selection_prints_the_failure_and_exits_with_pytest_status()
    {
        var (exitCode, output) = await RunAsync("tests/live/test_canary.py", "-m", "canary");
        Assert.True(exitCode == 1, $"exit {exitCode}:\n{output}");
        Assert.Contains("canary: fails on purpose", output);
        Assert.Matches(@"=+ 1 failed", output);
    }

    [Fact]
    public async Task An_argument_with_a_space_is_refused_with_one_line_naming_the_fix()
    {
        var (exitCode, output) = await RunAsync("-k", "not canary");
        Assert.Equal(2, exitCode);
        Assert.Contains("test-run: the pytest argument 'not canary' contains a space; pass arguments without spaces", output);
    }
}
