using System.Diagnostics;
using System.Net;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>One nginx process (alone, or under the bundle's start script) in its own folder, stopped with its children on dispose.</summary>
internal sealed class NginxRun : IAsyncDisposable
{
    private readonly Process _process;

    private NginxRun(Process process, string directory) => (_process, Directory) = (process, directory);

    /// <summary>The run's folder (configuration, logs, pid file), deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>Replaces each pair (old, new) in <paramref name="text"/>; every old value must be there.</summary>
    public static string Substitute(string text, string[] pairs)
    {
        for (var i = 0; i < pairs.Length; i += 2)
        {
            Assert.True(text.Contains(pairs[i], StringComparison.Ordinal), $"the published configuration no longer contains '{pairs[i]}'");
            text = text.Replace(pairs[i], pairs[i + 1], StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>A folder with certificate.pem and key.pem, a self-signed certificate for 127.0.0.1 made with openssl.</summary>
    public static async Task<string> CertificateAsync()
    {
        var openssl = Publisher.RequireTool("openssl", "apt-get install -y openssl");
        var directory = System.IO.Directory.CreateTempSubdirectory("nginx-tls-").FullName;
        var (exit, output) = await Publisher.ExecAsync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-keyout", "key.pem", "-out", "certificate.pem"], directory);
        Assert.True(exit == 0, output);
        return directory;
    }

    /// <summary>nginx on <paramref name="configuration"/>, once <paramref name="ready"/> answers.</summary>
    public static async Task<NginxRun> StartAsync(string configuration, Uri ready)
    {
        var nginx = Publisher.RequireTool("nginx", "apt-get install -y nginx-light");
        var directory = System.IO.Directory.CreateTempSubdirectory("nginx-run-").FullName;
        var conf = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(conf, configuration);
        var start = new ProcessStartInfo(nginx, ["-c", conf, "-e", Path.Combine(directory, "error.log"), "-g", $"daemon off; pid {directory}/nginx.pid;"]);
        return await WaitReadyAsync(start, directory, ready);
    }

    /// <summary>
    /// The bundle's <c>nginx/start.sh</c> run by <c>sh</c> as the nginx service runs it, on the folder that
    /// <paramref name="prepare"/> fills: every <c>/etc/nginx/</c> and <c>/run/nginx-entry</c> path of the script is moved into
    /// that folder, and nginx's pid file (its reload's too) and error log (all the script and configurations otherwise keep).
    /// </summary>
    public static async Task<NginxRun> StartScriptAsync(string script, Func<string, Task> prepare, IReadOnlyDictionary<string, string> environment, Uri ready)
    {
        Publisher.RequireTool("nginx", "apt-get install -y nginx-light");
        var directory = System.IO.Directory.CreateTempSubdirectory("nginx-run-").FullName;
        await prepare(directory);
        var path = Path.Combine(directory, "start.sh");
        await File.WriteAllTextAsync(path, Substitute(script,
            ["/etc/nginx/", directory + "/", "/run/nginx-entry", directory + "/run", "'daemon off;'", $"'daemon off; pid {directory}/nginx.pid; error_log {directory}/error.log;'",
             "-s reload", $"-g 'pid {directory}/nginx.pid;' -s reload"]));
        var start = new ProcessStartInfo("/bin/sh", [path]);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return await WaitReadyAsync(start, directory, ready);
    }

    private static async Task<NginxRun> WaitReadyAsync(ProcessStartInfo start, string directory, Uri ready)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var run = new NginxRun(Process.Start(start)!, directory);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (run._process.HasExited)
            {
                var log = File.Exists(Path.Combine(directory, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(directory, "error.log")) : "";
                var (exit, stderr) = (run._process.ExitCode, await run._process.StandardError.ReadToEndAsync());
                await run.DisposeAsync();
                Assert.Fail($"nginx exited {exit}: {stderr} {log}");
            }
            try
            {
                if ((await client.GetAsync(ready)).IsSuccessStatusCode) return run;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // slow machine
            }
            if (DateTime.UtcNow > deadline)
            {
                await run.DisposeAsync();
                Assert.Fail($"nginx did not answer {ready} within 60 s");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
