namespace Ichrisbirch.Tests.AppHost;

/// <summary>
/// Run mode restarts what exits on its own: Program.cs registers the supervisor and every long-running resource carries
/// its restart policy. Read from the model, no process: without these tests only the fault tests notice, after their timeout.
/// </summary>
public class SupervisionModelTests
{
    private static readonly string[] LongRunning = ["api", "app", "postgres", "redis", "scheduler"];

    [Theory]
    [InlineData("Development", "Local")]
    [InlineData("Development", "Containers")]
    [InlineData("Testing", "Local")]
    [InlineData("Production", "Local")]
    public async Task The_supervisor_is_registered_and_watches_every_long_running_resource_and_no_run_once_one(string environment, string mode)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--environment", environment, $"--Ichrisbirch:Infrastructure={mode}"]);

        var supervisor = Assert.Single(builder.Services, d => d.ServiceType == typeof(SupervisorOptions));
        Assert.Contains(2, Assert.IsType<SupervisorOptions>(supervisor.ImplementationInstance).PermanentFailureExitCodes);

        var processes = builder.Resources.Where(r => r is ExecutableResource or ContainerResource).ToList();
        Assert.Equal(LongRunning, processes.Where(SupervisorBuilderExtensions.IsSupervised).Select(r => r.Name).Order());
        Assert.All(processes.Where(r => LongRunning.Contains(r.Name)), r => Assert.Equal(RestartPolicy.Always, r.GetRestartPolicy()));
        Assert.All(processes.Where(r => !LongRunning.Contains(r.Name)), r => Assert.Equal(RestartPolicy.No, r.GetRestartPolicy()));
        Assert.Equal(environment == "Testing", processes.Any(r => r.Name == "test-runner"));
    }
}
