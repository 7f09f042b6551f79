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

internal static class Processes
{
    public static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            var state = File.ReadAllText(stat).Split(')')[^1].Trim().Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static string Describe(int pid)
    {
        try { return $"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()}"; }
        catch (IOException) { return pid.ToString(System.Globalization.CultureInfo.InvariantCulture); }
    }

    /// <summary>The given processes and every descendant, from /proc.</summary>
    public static HashSet<int> WithDescendants(IEnumerable<int> roots)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var fields = File.ReadAllText(Path.Combine(dir, "stat")).Split(')')[^1].Trim().Split(' ');
                parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }
        var result = new HashSet<int>(roots);
        bool added;
        do
        {
            added = false;
            foreach (var (pid, parent) in parents)
            {
                if (result.Contains(parent) && result.Add(pid)) added = true;
            }
        }
        while (added);
        return result;
    }
}
