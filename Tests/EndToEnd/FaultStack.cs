using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>One Testing stack shared by the fault-injection tests of a class, with the habits they wrote.</summary>
public sealed class FaultStack : IAsyncLifetime
{
    public const string ApiKey = "testing-api-secret-key";

    private Stack? _stack;

    public Stack Stack => _stack ?? throw new InvalidOperationException("not started");

    /// <summary>Every habit the tests created through the api and got a 201 for: name → category.</summary>
    public Dictionary<string, string> Written { get; } = [];

    public async Task InitializeAsync()
    {
        _stack = await Stack.StartAsync("--Ichrisbirch:TestRunner=false");
        await _stack.WaitHealthyAsync(Stack.Services);
    }

    public async Task DisposeAsync()
    {
        if (_stack is not null) await _stack.DisposeAsync();
    }

    public HttpClient Api()
    {
        var api = Stack.Client("api");
        api.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        return api;
    }

    public async Task<HttpResponseMessage> WriteAsync(HttpClient api, string category = "mind")
    {
        var name = $"Fault {Guid.NewGuid():N}";
        var response = await api.PostAsJsonAsync("/habits/", new { name, category });
        if (response.StatusCode == HttpStatusCode.Created)
        {
            lock (Written) Written[name] = category;
        }
        return response;
    }

    /// <summary>
    /// Every habit written so far (got a 201) is in the database with its category, exactly once; with <paramref name="api"/>,
    /// the api's list shows them too.
    /// </summary>
    public async Task AssertEverythingWrittenIsThereAsync(HttpClient? api)
    {
        KeyValuePair<string, string>[] written;
        lock (Written) written = [.. Written];

        var rows = new List<(string Name, string Category)>();
        var connectionString = await Stack.App.GetConnectionStringAsync("postgres");
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "ichrisbirch_test", Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand("SELECT name, category FROM habits.habits WHERE name LIKE 'Fault %'", connection);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
        }
        AssertSame("database", rows);

        if (api is null) return;
        var listed = (await api.GetFromJsonAsync<JsonElement[]>("/habits/"))!
            .Select(h => (Name: h.GetProperty("name").GetString()!, Category: h.GetProperty("category").GetString()!))
            .Where(h => h.Name.StartsWith("Fault ", StringComparison.Ordinal))
            .ToList();
        AssertSame("api /habits/", listed);

        void AssertSame(string where, List<(string Name, string Category)> found)
        {
            var missing = written.Where(w => !found.Contains((w.Key, w.Value))).Select(w => w.Key).ToList();
            Assert.True(missing.Count == 0, $"{where}: {missing.Count} of {written.Length} acknowledged habits missing: {string.Join(", ", missing.Take(5))}");
            var duplicated = found.GroupBy(h => h.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicated.Count == 0, $"{where}: duplicated {string.Join(", ", duplicated.Take(5))}");
        }
    }

    public int Pid(string resource)
    {
        Assert.True(Stack.Notifications.TryGetCurrentState(resource, out var e), $"{resource} unknown");
        return Convert.ToInt32(e.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, CultureInfo.InvariantCulture);
    }

    /// <summary>SIGKILLs every process of <paramref name="resource"/> (its process and all descendants) at once.</summary>
    public int Kill(string resource)
    {
        var pid = Pid(resource);
        foreach (var p in Processes.WithDescendants([pid]))
        {
            try { Process.GetProcessById(p).Kill(); } // SIGKILL on Linux
            catch (ArgumentException) { } // already gone
            catch (InvalidOperationException) { }
        }
        return pid;
    }

    /// <summary>Waits until <paramref name="resource"/> runs a process other than <paramref name="killedPid"/> and is healthy.</summary>
    public async Task WaitRestartedAsync(string resource, int killedPid, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Stack.Notifications.WaitForResourceAsync(resource, e =>
                e.Snapshot.State?.Text == KnownResourceStates.Running
                && e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                && e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
                && Convert.ToInt32(pid, CultureInfo.InvariantCulture) != killedPid, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{resource} not running and healthy again within {timeout.TotalSeconds} s of the kill. States: {await Stack.DescribeAsync()}");
        }
    }

    /// <summary>Runs a dashboard command (Stop, Start, Restart) on a resource, as a user would.</summary>
    public async Task CommandAsync(string resource, string command)
    {
        var model = Stack.App.Services.GetRequiredService<DistributedApplicationModel>();
        var result = await Stack.App.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(model.Resources.Single(r => r.Name == resource), command);
        Assert.True(result.Success, $"{command} {resource}: {result.Message}");
    }

    /// <summary>Waits for a terminal state and returns it.</summary>
    public async Task<string> WaitStoppedAsync(string resource, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var e = await Stack.Notifications.WaitForResourceAsync(resource, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);
            return e.Snapshot.State!.Text;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{resource} not stopped within {timeout.TotalSeconds} s: {Stack.State(resource)}");
        }
    }

    public string Property(string resource, string name)
        => Stack.Notifications.TryGetCurrentState(resource, out var e) ? e.Snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString() ?? "" : "";
}
