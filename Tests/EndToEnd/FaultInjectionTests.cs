using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>SIGKILL each process of the stack: the supervisor brings it back, with every committed write.</summary>
public class FaultInjectionTests(FaultStack fixture, ITestOutputHelper output) : IClassFixture<FaultStack>
{
    /// <summary>Target 10 s from kill to healthy (backoff included); the bound is generous for a loaded CI machine.</summary>
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("postgres")]
    [InlineData("redis")]
    [InlineData("api")]
    [InlineData("app")]
    [InlineData("scheduler")]
    public async Task A_killed_service_is_running_and_healthy_again_with_every_committed_write(string resource)
    {
        var api = fixture.Api();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Created, (await fixture.WriteAsync(api)).StatusCode);
        await fixture.AssertEverythingWrittenIsThereAsync(api);

        var clock = Stopwatch.StartNew();
        var killed = fixture.Kill(resource);
        await fixture.WaitRestartedAsync(resource, killed, RecoveryBound);
        var restarted = clock.Elapsed;
        await fixture.Stack.WaitHealthyAsync(Stack.Services, RecoveryBound);
        var stackHealthy = clock.Elapsed;
        output.WriteLine($"kill->healthy {resource}: {restarted.TotalSeconds:0.0} s (whole stack healthy: {stackHealthy.TotalSeconds:0.0} s)");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "ichrisbirch-fault-times.txt"), $"{DateTime.UtcNow:O} {resource} {restarted.TotalSeconds:0.0} {stackHealthy.TotalSeconds:0.0}\n");

        Assert.Equal("1", fixture.Property(resource, "supervisor.restarts"));
        Assert.NotEqual("", fixture.Property(resource, "supervisor.last-exit-code"));
        Assert.True((await fixture.Stack.Client("app").GetAsync("/habits/")).IsSuccessStatusCode, "app /habits/ after recovery");
        Assert.Equal(HttpStatusCode.Created, (await fixture.WriteAsync(api)).StatusCode);
        await fixture.AssertEverythingWrittenIsThereAsync(api);
    }
}
