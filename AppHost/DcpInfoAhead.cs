using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.Configuration;

namespace Ichrisbirch.AppHost;

/// <summary>
/// Aspire asks <c>dcp info</c> (DCP's version and container runtime: a Go process that probes docker, 0.05 s alone and
/// 0.13–0.2 s beside the AppHost's own start) and waits for the answer before it starts DCP, after the start hooks and
/// the host's own services have started. The AppHost asks it as soon as its builder exists instead (the same command,
/// with the same options), while the model is built, and hands the answer to Aspire's own check as the start hooks
/// begin: launch → DCP is shorter by the whole question (BENCHMARKS.md, issue #20). When the answer cannot be handed
/// over (another DCP path or container runtime in the final options, a failed or late question, a version Aspire
/// refuses), Aspire asks itself when DCP is due, as without this class, and reports what it finds.
/// </summary>
internal static class DcpInfoAhead
{
    /// <summary>How long the early question may take; Aspire waits at most this long before it asks itself.</summary>
    public static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What <c>dcp info</c> answered, and what it was asked with; <see cref="Info"/> is the output read as Aspire reads it
    /// (its <c>DcpInfo</c>), done while the answer waits, or null when it does not read.
    /// </summary>
    internal sealed class Answer(string cliPath, string? containerRuntime, int exitCode, string output)
    {
        public string CliPath { get; } = cliPath;
        public string? ContainerRuntime { get; } = containerRuntime;
        public int ExitCode { get; } = exitCode;
        public string Output { get; } = output;
        public object? Info { get; } = Read(exitCode, output);
    }

    /// <summary>Aspire's <c>DcpInfo</c> type (null when this Aspire version no longer has it: a test reports that).</summary>
    private static readonly Type? InfoType = typeof(DistributedApplication).Assembly.GetType("Aspire.Hosting.Dcp.DcpInfo");

    private static object? Read(int exitCode, string output)
    {
        if (exitCode != 0 || output.Length == 0 || InfoType is null) return null;
        try
        {
            return JsonSerializer.Deserialize(output, InfoType); // as Aspire: JsonSerializer.Deserialize<DcpInfo>(output)
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Asks <c>dcp info</c> now (run mode), and hands its answer to Aspire as the start hooks begin. Only where the AppHost
    /// is the process's program (F5, <c>dotnet run</c>, scripts/run.sh): a test host builds many models it never starts.
    /// </summary>
    public static void AskDcpInfoAhead(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode || Assembly.GetEntryAssembly() != typeof(DcpInfoAhead).Assembly) return;
        var early = Ask(builder.Configuration);
        if (early is null) return;
        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            _ = HandOverAsync(DependencyCheck.Of(e.Services), early, ct);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Starts <c>dcp info</c> in the background with the path and container runtime Aspire's defaults give (its
    /// <c>ConfigureDefaultDcpOptions</c>), or null when this configuration points Aspire to DCP another way.
    /// </summary>
    internal static Task<Answer?>? Ask(IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(configuration["ASPIRE_DCP_PATH"])) return null;
        var cliPath = configuration["DcpPublisher:CliPath"];
        if (string.IsNullOrWhiteSpace(cliPath))
        {
            cliPath = typeof(DcpInfoAhead).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(m => string.Equals(m.Key, "DcpCliPath", StringComparison.OrdinalIgnoreCase))?.Value;
        }
        if (string.IsNullOrWhiteSpace(cliPath) || !File.Exists(cliPath)) return null;
        var runtime = configuration["DcpPublisher:ContainerRuntime"];
        if (string.IsNullOrEmpty(runtime)) runtime = configuration["ASPIRE_CONTAINER_RUNTIME"];
        if (string.IsNullOrEmpty(runtime)) runtime = configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"];
        return Task.Run(() => Run(cliPath, string.IsNullOrEmpty(runtime) ? null : runtime));
    }

    private static Answer? Run(string cliPath, string? runtime)
    {
        // Aspire's own arguments: "info", then "--container-runtime X" when one is configured.
        var start = new ProcessStartInfo(cliPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("info");
        if (runtime is not null)
        {
            start.ArgumentList.Add("--container-runtime");
            start.ArgumentList.Add(runtime);
        }
        try
        {
            using var process = Process.Start(start);
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(AnswerWait))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
            _ = error.Result;
            return new Answer(cliPath, runtime, process.ExitCode, output.Result);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null; // Aspire's own check runs and reports it
        }
    }

    /// <summary>
    /// Holds Aspire's dependency check (its lock) until the early answer is in, and gives it that answer when it was asked
    /// as Aspire would ask it and passes Aspire's version check. Otherwise the check is left untouched: Aspire asks when
    /// DCP is due and reports a failure or a version it refuses itself. True when Aspire got the early answer.
    /// </summary>
    internal static async Task<bool> HandOverAsync(DependencyCheck? check, Task<Answer?> early, CancellationToken ct)
    {
        if (check is null) return false;
        await check.Lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await early.WaitAsync(AnswerWait, ct).ConfigureAwait(false) is { } answer && check.TakeAnswer(answer);
        }
        catch (Exception e) when (e is TimeoutException or TargetInvocationException or OperationCanceledException)
        {
            return false; // late, cancelled, or a version Aspire refuses: Aspire asks itself and reports it
        }
        finally
        {
            check.Lock.Release();
        }
    }

    /// <summary>Aspire's internal dependency check (<c>Aspire.Hosting.Dcp.DcpDependencyCheck</c>), seen through reflection.</summary>
    internal sealed class DependencyCheck
    {
        private static readonly Assembly Aspire = typeof(DistributedApplication).Assembly;
        private const BindingFlags Members = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

        private readonly object _check;
        private readonly FieldInfo _info;
        private readonly FieldInfo _done;
        private readonly MethodInfo _ensureVersion;
        private readonly string? _cliPath;
        private readonly string? _runtime;

        private DependencyCheck(object check, SemaphoreSlim gate, FieldInfo info, FieldInfo done, MethodInfo ensureVersion, string? cliPath, string? runtime)
        {
            (_check, Lock, _info, _done, _ensureVersion, _cliPath, _runtime) = (check, gate, info, done, ensureVersion, cliPath, runtime);
        }

        /// <summary>The lock Aspire's <c>GetDcpInfoAsync</c> takes.</summary>
        public SemaphoreSlim Lock { get; }

        /// <summary>The check in <paramref name="services"/>, or null when this Aspire version no longer has one of its parts (a test reports that).</summary>
        public static DependencyCheck? Of(IServiceProvider services)
        {
            var serviceType = Aspire.GetType("Aspire.Hosting.Dcp.IDcpDependencyCheckService");
            return Of(serviceType is null ? null : services.GetService(serviceType));
        }

        /// <summary>Aspire's check object <paramref name="check"/> seen through reflection, or null when one of its parts is gone.</summary>
        public static DependencyCheck? Of(object? check)
        {
            var serviceType = Aspire.GetType("Aspire.Hosting.Dcp.IDcpDependencyCheckService");
            var type = check?.GetType();
            var infoType = InfoType;
            var optionsType = Aspire.GetType("Aspire.Hosting.Dcp.DcpOptions");
            if (check is null || type is null || serviceType is null || infoType is null || optionsType is null) return null;
            var gate = type.GetField("_lock", Members)?.GetValue(check) as SemaphoreSlim;
            var info = type.GetField("_dcpInfo", Members);
            var done = type.GetField("_checkDone", Members);
            var ensureVersion = type.GetMethod("EnsureDcpVersion", Members, [infoType]);
            var ask = serviceType.GetMethod("GetDcpInfoAsync", [typeof(bool), typeof(CancellationToken)]); // what takes the lock
            var options = type.GetField("_dcpOptions", Members)?.GetValue(check);
            if (gate is null || info?.FieldType != infoType || done?.FieldType != typeof(bool) || ensureVersion is null || ask is null || options is null) return null;
            var cliPath = optionsType.GetProperty("CliPath", Members)?.GetValue(options) as string;
            var runtime = optionsType.GetProperty("ContainerRuntime", Members)?.GetValue(options) as string;
            return new DependencyCheck(check, gate, info, done, ensureVersion, cliPath, string.IsNullOrEmpty(runtime) ? null : runtime);
        }

        /// <summary>
        /// Gives Aspire <paramref name="answer"/> as the result of its check (call with <see cref="Lock"/> held), when it
        /// was asked with the options Aspire has and reads as Aspire reads it, version check included.
        /// </summary>
        public bool TakeAnswer(Answer answer)
        {
            if ((bool)_done.GetValue(_check)!) return false; // asked already: Aspire keeps its own answer
            if (answer.CliPath != _cliPath || answer.ContainerRuntime != _runtime || answer.Info is not { } info) return false;
            _ensureVersion.Invoke(null, [info]);
            _info.SetValue(_check, info);
            _done.SetValue(_check, true);
            return true;
        }
    }
}
