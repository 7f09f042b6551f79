namespace Ichrisbirch.Tests.EndToEnd;

public class ErrorTests
{
    [Fact]
    public async Task Missing_postgres_binaries_fail_postgres_with_a_line_naming_the_fix()
    {
        await using var stack = await Stack.StartAsync("--Ichrisbirch:Local:PostgresBinDirectory=/nonexistent/pgbin", "--Ichrisbirch:TestRunner=false");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stack.Notifications.WaitForResourceAsync("postgres", e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart, cts.Token);
        var logs = await stack.LogsAsync("postgres");
        Assert.Contains(logs, l => l.Contains("PostgreSQL server binaries (initdb, postgres) not found in /nonexistent/pgbin") && l.Contains("Ichrisbirch:Local:PostgresBinDirectory"));
    }
}
