using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>
/// The bundle exactly as published, deployed as its README says: the test engine started, the stand-ins built,
/// <c>.env</c> filled from <c>.env.example</c> (a self-signed certificate made here), production up and healthy.
/// At the end every project is taken down with its volumes and the engine stopped (when started here).
/// </summary>
public sealed class DockerStack : IAsyncLifetime
{
    /// <summary>Host ports of production's nginx (HTTP_PORT, HTTPS_PORT in .env).</summary>
    public const int HttpPort = 28080, HttpsPort = 28443;

    /// <summary>Every production service, one container each.</summary>
    public static readonly string[] Services = ["postgres", "redis", "api", "app", "scheduler", "nginx"];

    private static readonly TimeSpan Build = TimeSpan.FromMinutes(30);
    private bool disposed;

    public DockerEngine Engine { get; private set; } = null!;

    /// <summary>The published bundle (deployed from here).</summary>
    public string Bundle { get; private set; } = "";

    /// <summary>The values written into .env.</summary>
    public Dictionary<string, string> Env { get; } = [];

    /// <summary>The certificate nginx serves.</summary>
    public X509Certificate2 Certificate { get; private set; } = null!;

    /// <summary>Seconds from <c>up -d --build</c> to all healthy, and the stand-ins' build time.</summary>
    public TimeSpan UpElapsed { get; private set; }

    public async Task InitializeAsync()
    {
        Engine = await DockerEngine.StartAsync();
        try
        {
            Bundle = await Publisher.PublishAsync();
            await StandIns.BuildAsync(Engine, Bundle);
            await WriteEnvAsync();
            var clock = Stopwatch.StartNew();
            await UpAsync(Services.Length, "up", "-d", "--build");
            UpElapsed = clock.Elapsed;
        }
        catch
        {
            await DisposeAsync(); // no daemon, container or lock left behind when the deployment fails
            throw;
        }
    }

    /// <summary>Runs a production compose command (fails with its output when it exits non-zero), then waits for <paramref name="containers"/> healthy containers.</summary>
    public async Task<string> UpAsync(int containers, params string[] args)
    {
        var (code, output) = await Engine.ComposeAsync(Bundle, "production", Build, args);
        Assert.True(code == 0, $"docker-compose {string.Join(' ', args)} exited {code}:\n{output}");
        await Engine.WaitHealthyAsync("production", containers, TimeSpan.FromMinutes(6));
        return output;
    }

    /// <summary>
    /// An https client for nginx that trusts exactly the test's certificate and follows no redirect; on production's
    /// port of <paramref name="scheme"/> unless <paramref name="port"/> names another nginx's.
    /// </summary>
    public HttpClient Client(string scheme = "https", int? port = null)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == Certificate.Thumbprint,
        };
        port ??= scheme == "https" ? HttpsPort : HttpPort;
        return new HttpClient(handler) { BaseAddress = new Uri($"{scheme}://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A client for the api's write endpoints through nginx (X-API-Key from .env), on production's https port unless <paramref name="port"/> says.</summary>
    public HttpClient Api(int? port = null)
    {
        var client = Client(port: port);
        client.DefaultRequestHeaders.Add("X-API-Key", Env["API_SECRET_KEY"]);
        return client;
    }

    private async Task WriteEnvAsync()
    {
        var tls = Path.Combine(Bundle, "test-tls");
        Directory.CreateDirectory(tls);
        var (code, output) = await Processes.RunAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", Path.Combine(tls, "key.pem"), "-out", Path.Combine(tls, "certificate.pem")], tls);
        Assert.True(code == 0, $"openssl req exited {code}:\n{output}");
        Certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(tls, "certificate.pem"));

        Env["HTTP_PORT"] = HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Env["HTTPS_PORT"] = HttpsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Env["TLS_CERTIFICATE"] = Path.Combine(tls, "certificate.pem");
        Env["TLS_CERTIFICATE_KEY"] = Path.Combine(tls, "key.pem");
        var lines = new List<string>();
        foreach (var line in File.ReadAllLines(Path.Combine(Bundle, ".env.example")))
        {
            var name = line.Split('=', 2)[0];
            if (line.StartsWith('#') || !line.Contains('=')) lines.Add(line);
            else if (Env.TryGetValue(name, out var value)) lines.Add($"{name}={value}");
            else if (line.EndsWith('=') && IsSecret(name)) lines.Add($"{name}={Env[name] = Secret()}");
            else if (name.EndsWith("_HOST_IP", StringComparison.Ordinal)) lines.Add($"{name}={Env[name] = "127.0.0.1"}"); // bind the host ports to loopback only
            else lines.Add(line);
        }
        File.WriteAllLines(Path.Combine(Bundle, ".env"), lines);
    }

    private static bool IsSecret(string name)
        => name.EndsWith("PASSWORD", StringComparison.Ordinal) || name.EndsWith("KEY", StringComparison.Ordinal) || name.EndsWith("SECRET", StringComparison.Ordinal);

    private static string Secret() => "t" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    public async Task DisposeAsync()
    {
        if (Engine is null || disposed) return;
        disposed = true;
        try
        {
            if (Bundle.Length > 0)
            {
                foreach (var environment in new[] { "testing", "development", "production" })
                    await Engine.ComposeAsync(Bundle, environment, TimeSpan.FromMinutes(5), "down", "-v", "--remove-orphans", "-t", "10");
            }
        }
        finally
        {
            await Engine.StopAsync();
            if (Bundle.Length > 0 && Directory.Exists(Bundle)) Directory.Delete(Bundle, recursive: true);
        }
    }
}

/// <summary>The Docker tests share one engine and one production deployment, one test at a time (fixed host ports).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DockerCollection : ICollectionFixture<DockerStack>
{
    public const string Name = "Docker";
}
