namespace Ichrisbirch.Tests.Hosting.Supervision;

/// <summary>The supervisor's rules as plain functions: no process, no AppHost.</summary>
public class SupervisorRuleTests
{
    private static readonly SupervisorOptions Defaults = new();

    [Fact]
    public void Backoff_doubles_from_one_second_and_stops_at_thirty()
    {
        var options = new SupervisorOptions();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], Enumerable.Range(0, 8).Select(n => options.DelayFor(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(30), options.DelayFor(1000));
    }

    [Theory]
    [InlineData(RestartPolicy.Always)]
    [InlineData(RestartPolicy.OnFailure)]
    public void Exit_code_two_is_a_configuration_error_and_never_retried_whatever_the_policy(RestartPolicy policy)
        => Assert.Equal("not restarted: exit code 2 is a configuration error (see its log for the fix)",
            Defaults.WhyNotRestarted(KnownResourceStates.Exited, 2, policy));

    [Theory]
    [InlineData(RestartPolicy.Always)]
    [InlineData(RestartPolicy.OnFailure)]
    public void A_failed_start_is_never_retried_whatever_the_policy(RestartPolicy policy)
        => Assert.Equal("not restarted: it failed to start (see its log for the fix)",
            Defaults.WhyNotRestarted(KnownResourceStates.FailedToStart, null, policy));

    [Theory]
    [InlineData(RestartPolicy.Always, 1)]
    [InlineData(RestartPolicy.Always, 0)]
    [InlineData(RestartPolicy.Always, 137)] // SIGKILL
    [InlineData(RestartPolicy.Always, null)]
    [InlineData(RestartPolicy.OnFailure, 1)]
    [InlineData(RestartPolicy.OnFailure, 137)]
    public void Any_other_exit_is_restarted_when_the_policy_asks_for_it(RestartPolicy policy, int? exitCode)
        => Assert.Null(Defaults.WhyNotRestarted(KnownResourceStates.Exited, exitCode, policy));

    [Fact]
    public void On_failure_leaves_a_clean_exit_finished_and_no_never_restarts()
    {
        Assert.Equal("not restarted: exited with code 0 (restart policy on-failure)", Defaults.WhyNotRestarted(KnownResourceStates.Exited, 0, RestartPolicy.OnFailure));
        Assert.NotNull(Defaults.WhyNotRestarted(KnownResourceStates.Exited, 1, RestartPolicy.No));
    }

    [Fact]
    public void Added_permanent_failure_codes_are_not_retried_and_two_stays_one()
    {
        var options = new SupervisorOptions();
        options.PermanentFailureExitCodes.Add(78); // sysexits EX_CONFIG
        Assert.NotNull(options.WhyNotRestarted(KnownResourceStates.Exited, 78, RestartPolicy.Always));
        Assert.NotNull(options.WhyNotRestarted(KnownResourceStates.Exited, 2, RestartPolicy.Always));
        Assert.Null(Defaults.WhyNotRestarted(KnownResourceStates.Exited, 78, RestartPolicy.Always));
    }

    [Fact]
    public void Only_processes_and_containers_whose_policy_is_not_no_are_supervised()
    {
        var builder = DistributedApplication.CreateBuilder();
        var always = builder.AddExecutable("always", "/bin/true", ".").WithRestartPolicy(RestartPolicy.Always);
        var onFailure = builder.AddContainer("on-failure", "redis").WithRestartPolicy(RestartPolicy.OnFailure);
        var never = builder.AddExecutable("never", "/bin/true", ".").WithRestartPolicy(RestartPolicy.No);
        var unset = builder.AddExecutable("unset", "/bin/true", ".");
        var parameter = builder.AddParameter("not-a-process").WithRestartPolicy(RestartPolicy.Always);

        Assert.True(SupervisorBuilderExtensions.IsSupervised(always.Resource));
        Assert.True(SupervisorBuilderExtensions.IsSupervised(onFailure.Resource));
        Assert.False(SupervisorBuilderExtensions.IsSupervised(never.Resource));
        Assert.False(SupervisorBuilderExtensions.IsSupervised(unset.Resource));
        Assert.False(SupervisorBuilderExtensions.IsSupervised(parameter.Resource));
    }
}
