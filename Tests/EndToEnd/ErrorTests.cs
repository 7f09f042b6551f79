using System.Diagnostics;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>Bad machines and bad input: each fails the resource it concerns with one line naming the fix.</summary>
public class ErrorTests
{
    private static readonly string ServicesSource = Path.Combine(Repository.Services, "ichrisbirch");

    private static async Task<string> FailureLineAsync(Stack stack, string resource, string mustContain)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await stack.Notifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart, cts.Token);
        var logs = await stack.LogsAsync(resource);
        Assert.DoesNotContain(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"(^|\n)\s+at \S+\(")); // no stack trace
        return Assert.Single(logs, l => l.Contains(mustContain, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_postgres_binaries_fail_postgres_with_a_line_naming_the_fix()
    {
        await using var stack = await Stack.StartAsync("--Ichrisbirch:Local:PostgresBinDirectory=/nonexistent/pgbin", "--Ichrisbirch:TestRunner=false");
        var line = await FailureLineAsync(stack, "postgres", "PostgreSQL server binaries (initdb, postgres) not found in /nonexistent/pgbin");
        Assert.Contains("Ichrisbirch:Local:PostgresBinDirectory", line);
        Assert.Contains("scripts/bootstrap.sh", line);
    }

    [Fact]
    public async Task Missing_redis_server_fails_redis_with_a_line_naming_the_fix()
    {
        await using var stack = await Stack.StartAsync("--Ichrisbirch:Local:RedisServerPath=/nonexistent/redis-server", "--Ichrisbirch:TestRunner=false");
        var line = await FailureLineAsync(stack, "redis", "redis-server not found at /nonexistent/redis-server");
        Assert.Contains("Ichrisbirch:Local:RedisServerPath", line);
    }

    [Fact]
    public async Task Missing_interpreter_for_a_missing_virtual_environment_fails_its_creator_with_a_line_naming_the_fix()
    {
        using var services = new ScratchDirectory();
        CopyDirectory(ServicesSource, Path.Combine(services.Path, "ichrisbirch"));

        await using var stack = await Stack.StartAsync($"--Ichrisbirch:ServicesDirectory={services.Path}",
            "--Ichrisbirch:PythonInterpreter=/nonexistent/python3", "--Ichrisbirch:TestRunner=false");
        var line = await FailureLineAsync(stack, "api-venv-creator",
            $"api-venv-creator: no Python interpreter '/nonexistent/python3' to create {Path.Combine(services.Path, ".venv")}");
        Assert.Contains("or run scripts/bootstrap.sh", line);
    }

    [Fact]
    public async Task Missing_python_module_fails_the_service_naming_the_module_and_the_fix()
    {
        using var services = new ScratchDirectory();
        CopyDirectory(ServicesSource, Path.Combine(services.Path, "ichrisbirch"));
        // A bare venv: no system site packages, so uvicorn, flask and the rest are missing.
        using (var venv = Process.Start("/usr/bin/python3", ["-m", "venv", "--without-pip", Path.Combine(services.Path, ".venv")]))
        {
            await venv.WaitForExitAsync();
            Assert.Equal(0, venv.ExitCode);
        }

        await using var stack = await Stack.StartAsync($"--Ichrisbirch:ServicesDirectory={services.Path}", "--Ichrisbirch:TestRunner=false");
        var line = await FailureLineAsync(stack, "api", "api: Python module(s) uvicorn not importable");
        Assert.Contains("pip install -r requirements.txt", line);
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(source, target, StringComparison.Ordinal));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(source, target, StringComparison.Ordinal));
    }
}
