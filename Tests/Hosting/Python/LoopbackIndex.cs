using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ichrisbirch.Tests.Hosting.Python;

/// <summary>
/// A real package index on 127.0.0.1: a wheel of the tiny package <c>tinypkg</c> (an ASGI app) built offline with
/// Debian's setuptools and wheel, served as a PEP 503 folder by <c>python3 -m http.server</c>.
/// </summary>
internal sealed class LoopbackIndex : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";
    public const string Body = "tinypkg ok";

    private readonly Process _server;

    private LoopbackIndex(Process server, string url) => (_server, Url) = (server, url);

    /// <summary>The index URL (<c>http://127.0.0.1:PORT/</c>).</summary>
    public string Url { get; }

    public static async Task<LoopbackIndex> StartAsync(string root)
    {
        var source = Path.Combine(root, "tinypkg-src");
        Models.Touch(Path.Combine(source, "pyproject.toml"), PyProject("tinypkg", "1.0", [], "packages = [\"tinypkg\"]"));
        Models.Touch(Path.Combine(source, "tinypkg", "__init__.py"));
        Models.Touch(Path.Combine(source, "tinypkg", "app.py"), $$"""
            async def app(scope, receive, send):
                if scope["type"] != "http":
                    return
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"{{Body}}"})
            """);
        var index = Path.Combine(root, "index");
        await RunAsync(Python, "-m", "pip", "wheel", "--no-index", "--no-build-isolation", "--no-deps", "-q", "-w", Path.Combine(index, "tinypkg"), source);

        var port = LocalServerEndpoint.FreeLoopbackPort();
        var server = Process.Start(new ProcessStartInfo(Python, ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", index])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        var result = new LoopbackIndex(server, $"http://127.0.0.1:{port}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            try
            {
                if ((await http.GetStringAsync(result.Url + "tinypkg/")).Contains("tinypkg-1.0-py3-none-any.whl", StringComparison.Ordinal)) return result;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    /// <summary>A setuptools project: name, version, dependencies and the [tool.setuptools] line that says what it holds.</summary>
    public static string PyProject(string name, string version, string[] dependencies, string contents) => $$"""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{{name}}"
        version = "{{version}}"
        dependencies = [{{string.Join(", ", dependencies.Select(d => $"\"{d}\""))}}]

        [tool.setuptools]
        {{contents}}
        """;

    public static async Task RunAsync(string file, params string[] args)
    {
        var (exitCode, output) = await Processes.RunAsync(file, args);
        Assert.True(exitCode == 0, $"{file} {string.Join(' ', args)} failed: {output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_server.HasExited) _server.Kill();
        await _server.WaitForExitAsync();
        _server.Dispose();
    }
}
