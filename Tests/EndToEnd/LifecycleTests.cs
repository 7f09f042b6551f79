using Microsoft.Extensions.DependencyInjection;
namespace Ichrisbirch.Tests.EndToEnd;

public class LifecycleTests
{
    [Fact]
    public async Task Stopping_the_apphost_leaves_no_process_or_in_memory_data_behind()
    {
        var stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false");
        HashSet<int> pids;
        string dataDirectory;
        try
        {
            await stack.WaitHealthyAsync(Stack.Services);
            var roots = Stack.Services.Select(name =>
            {
                Assert.True(stack.Notifications.TryGetCurrentState(name, out var e));
                var pid = e.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value;
                return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
            });
            pids = Processes.WithDescendants(roots);
            var postgres = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalPostgresResource>().Single();
            dataDirectory = postgres.DataDirectory;
            Assert.True(Directory.Exists(dataDirectory));
            Assert.True(pids.Count >= 5, $"expected the five services and their children, found {pids.Count}");
        }
        finally
        {
            await stack.DisposeAsync();
        }

        var alive = pids.Where(Processes.IsAlive).ToList();
        Assert.True(alive.Count == 0, $"still running after dispose: {string.Join(", ", alive.Select(Processes.Describe))}");
        Assert.False(Directory.Exists(dataDirectory), $"{dataDirectory} should be gone");
    }
}
