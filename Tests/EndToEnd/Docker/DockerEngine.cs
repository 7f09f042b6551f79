namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>
/// The Docker tests' own engine (<c>scripts/docker-test-engine.sh</c>): started when none of its own runs, stopped
/// at the end. One run at a time holds it (a lock file, waited for: the projects and host ports are fixed). Only
/// the docker and docker-compose processes run here get its <c>DOCKER_HOST</c>; nothing else sees an engine.
/// </summary>
public sealed class DockerEngine
{
    /// <summary>Set to 1 to use the official images from a registry instead of building the stand-ins.</summary>
    public const string OfficialImagesVariable = "ICHRISBIRCH_DOCKER_OFFICIAL_IMAGES";

    /// <summary>Held (flock) by the one run using the engine; bench/docker.sh takes the same lock.</summary>
    public const string LockFile = "/run/ichrisbirch-docker.lock";

    private static readonly string Script = Path.Combine(Repository.Root, "scripts", "docker-test-engine.sh");
    private readonly FileStream lease;

    private DockerEngine(string host, bool startedHere, FileStream lease)
    {
        Environment = new Dictionary<string, string> { ["DOCKER_HOST"] = host };
        StartedHere = startedHere;
        this.lease = lease;
    }

    /// <summary>The variables of every process that talks to the engine (DOCKER_HOST).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>Whether this run started the daemon (and so stops it).</summary>
    public bool StartedHere { get; }

    /// <summary>Whether the official images are used (<see cref="OfficialImagesVariable"/>=1).</summary>
    public static bool OfficialImages => System.Environment.GetEnvironmentVariable(OfficialImagesVariable) == "1";

    /// <summary>Takes the engine's lock, starts it (installing docker.io/debootstrap where missing) and returns it.</summary>
    public static async Task<DockerEngine> StartAsync()
    {
        var lease = await LockAsync(TimeSpan.FromMinutes(45));
        var (code, output) = await Processes.RunAsync("bash", [Script, "start"], Repository.Root,
            new Dictionary<string, string> { [OfficialImagesVariable] = OfficialImages ? "1" : "0" }, TimeSpan.FromMinutes(15));
        Assert.True(code == 0, $"scripts/docker-test-engine.sh start exited {code}:\n{output}");
        var state = output.Trim().Split('\n')[^1].Trim();
        var (_, env) = await Processes.RunAsync("bash", [Script, "env"]);
        var host = env.Trim().Split('=', 2)[1];
        return new DockerEngine(host, state == "started", lease);
    }

    /// <summary>Waits for the lock another run (or bench/docker.sh) holds; fails naming it after <paramref name="timeout"/>.</summary>
    private static async Task<FileStream> LockAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
            }
            catch (IOException e)
            {
                throw new TimeoutException($"another run of the Docker tests (or bench/docker.sh) held {LockFile} for {timeout}: wait for it to end", e);
            }
        }
    }

    /// <summary>Stops the daemon (whoever started it: this run holds it, and no daemon may stay behind) and releases the lock.</summary>
    public async Task StopAsync()
    {
        try
        {
            var (code, output) = await Processes.RunAsync("bash", [Script, "stop"], timeout: TimeSpan.FromMinutes(2));
            Assert.True(code == 0, $"scripts/docker-test-engine.sh stop exited {code}:\n{output}");
        }
        finally
        {
            await lease.DisposeAsync();
        }
    }

    /// <summary>Runs <c>docker</c> against this engine.</summary>
    public Task<(int ExitCode, string Output)> DockerAsync(params string[] args)
        => Processes.RunAsync("docker", args, environment: Environment, timeout: TimeSpan.FromMinutes(20));

    /// <summary>Runs <c>docker</c> and fails the test with its output when it exits non-zero; returns stdout+stderr.</summary>
    public async Task<string> DockerOkAsync(params string[] args)
    {
        var (code, output) = await DockerAsync(args);
        Assert.True(code == 0, $"docker {string.Join(' ', args)} exited {code}:\n{output}");
        return output.Trim();
    }

    /// <summary>
    /// <c>docker-compose -p ichrisbirch-{environment} -f docker-compose.yml [-f override] …</c> in <paramref name="folder"/>,
    /// the commands the bundle documents for Debian's docker-compose 1.29.
    /// </summary>
    public Task<(int ExitCode, string Output)> ComposeAsync(string folder, string environment, TimeSpan timeout, params string[] args)
        => ComposeAsync(folder, environment, timeout, args, null);

    /// <summary>As above, with <paramref name="variables"/> added to the command's environment (they win over .env).</summary>
    public Task<(int ExitCode, string Output)> ComposeAsync(string folder, string environment, TimeSpan timeout, string[] args, IReadOnlyDictionary<string, string>? variables)
    {
        var files = environment switch
        {
            "production" => new[] { "-f", "docker-compose.yml" },
            "testing" => ["-f", "docker-compose.yml", "-f", "docker-compose.test.yml"],
            "development" => ["-f", "docker-compose.yml", "-f", "docker-compose.dev.yml"],
            _ => throw new ArgumentException($"unknown environment {environment}", nameof(environment)),
        };
        return ComposeCommandAsync(folder, timeout, ["-p", Project(environment), .. files, .. args], variables);
    }

    /// <summary><c>docker-compose <paramref name="args"/></c> in <paramref name="folder"/>, <paramref name="variables"/> added to its environment (they win over .env).</summary>
    public Task<(int ExitCode, string Output)> ComposeCommandAsync(string folder, TimeSpan timeout, string[] args, IReadOnlyDictionary<string, string>? variables = null)
    {
        var env = new Dictionary<string, string>(Environment);
        foreach (var (k, v) in variables ?? new Dictionary<string, string>()) env[k] = v;
        return Processes.RunAsync("docker-compose", args, folder, env, timeout);
    }

    /// <summary>The compose project of an environment.</summary>
    public static string Project(string environment) => $"ichrisbirch-{environment}";

    /// <summary>Health.Status of a container ("healthy", "starting", "unhealthy"; "none" without a healthcheck).</summary>
    public async Task<string> HealthAsync(string container)
        => await DockerOkAsync("inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", container);

    /// <summary>The ids of an environment's containers of <paramref name="service"/> (all services when null), running or not.</summary>
    public Task<string[]> ContainersAsync(string environment, string? service = null) => ProjectContainersAsync(Project(environment), service);

    /// <summary>The ids of a compose project's containers of <paramref name="service"/> (all services when null), running or not.</summary>
    public async Task<string[]> ProjectContainersAsync(string project, string? service = null)
    {
        var args = new List<string> { "ps", "-aq", "--filter", $"label=com.docker.compose.project={project}" };
        if (service is not null) args.AddRange(["--filter", $"label=com.docker.compose.service={service}"]);
        var output = await DockerOkAsync([.. args]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>
    /// Waits until <paramref name="expected"/> containers of the environment run healthy and every other one is a one-shot
    /// step that exited 0; fails with each one's status and last log lines.
    /// </summary>
    public Task WaitHealthyAsync(string environment, int expected, TimeSpan timeout) => WaitProjectHealthyAsync(Project(environment), expected, timeout);

    /// <summary>As <see cref="WaitHealthyAsync"/>, for any compose project.</summary>
    public async Task WaitProjectHealthyAsync(string project, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var report = "";
        string[] ids = [];
        while (DateTime.UtcNow < deadline)
        {
            ids = await ProjectContainersAsync(project);
            var statuses = new List<string>();
            foreach (var id in ids) statuses.Add(await DockerOkAsync("inspect", "-f", "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}}", id));
            report = string.Join("\n", statuses);
            // A one-shot step without a healthcheck (postgres-init) that exited 0 is done: it is not one of the serving containers.
            var serving = statuses.Where(s => !s.EndsWith(" exited none 0", StringComparison.Ordinal)).ToList();
            if (serving.Count == expected && serving.All(s => s.EndsWith(" running healthy 0", StringComparison.Ordinal))) return;
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        var logs = new List<string>();
        foreach (var id in ids) logs.Add($"{await DockerOkAsync("inspect", "-f", "{{.Name}}", id)}:\n{(await DockerAsync("logs", "--tail", "15", id)).Output}");
        Assert.Fail($"{project}: not all {expected} containers healthy within {timeout}:\n{report}\n{string.Join("\n", logs)}");
    }
}
