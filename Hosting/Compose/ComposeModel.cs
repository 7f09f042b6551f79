using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Ichrisbirch.Hosting.Compose;

// A small typed subset of the compose specification (https://github.com/compose-spec/compose-spec),
// serialised with YamlDotNet: null members and empty collections are left out, so the same types describe
// a whole file and an override. Strings are compose strings: a literal '$' must already be written '$$'.

/// <summary>A compose file: services, named volumes, networks.</summary>
public sealed class ComposeFile
{
    /// <summary>Services by name, in publication order.</summary>
    public Dictionary<string, Service> Services { get; init; } = [];

    /// <summary>Named volumes (top level).</summary>
    public SortedDictionary<string, NamedVolume>? Volumes { get; set; }

    /// <summary>Serialises the file as YAML with '\n' line ends (deterministic: member order is declaration order).</summary>
    public string ToYaml() => Serializer.Serialize(this);

    /// <summary>Any part of a file as YAML, the same way (used to compare parts).</summary>
    internal static string Serialize(object value) => Serializer.Serialize(value);

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .WithQuotingNecessaryStrings(quoteYaml1_1Strings: true) // docker-compose 1.x reads YAML 1.1
        .WithIndentedSequences()
        .DisableAliases()
        .WithNewLine("\n")
        .WithTypeConverter(new PortConverter())
        .Build();

    /// <summary>Writes a <see cref="Port"/> bound to an address in the short syntax, any other in the long one.</summary>
    private sealed class PortConverter : IYamlTypeConverter
    {
        public bool Accepts(Type type) => type == typeof(Port);

        public object? ReadYaml(YamlDotNet.Core.IParser parser, Type type, ObjectDeserializer rootDeserializer) => throw new NotSupportedException();

        public void WriteYaml(YamlDotNet.Core.IEmitter emitter, object? value, Type type, ObjectSerializer serializer)
        {
            var port = (Port)value!;
            if (port.HostIp is null)
            {
                serializer(new LongPort { Target = port.Target, Published = port.Published, Protocol = port.Protocol }, typeof(LongPort));
                return;
            }
            var text = $"{port.HostIp}:{port.Published}:{port.Target}/{port.Protocol}";
            emitter.Emit(new YamlDotNet.Core.Events.Scalar(null, null, text, YamlDotNet.Core.ScalarStyle.DoubleQuoted, true, true));
        }
    }

    private sealed class LongPort
    {
        public int Target { get; set; }
        public string? Published { get; set; }
        public string Protocol { get; set; } = "tcp";
    }
}

/// <summary>A named volume (top-level <c>volumes:</c> entry).</summary>
public sealed class NamedVolume
{
    /// <summary>Volume driver (null: local).</summary>
    public string? Driver { get; set; }
}

/// <summary>One compose service.</summary>
public sealed class Service
{
    /// <summary>Image to run (or to tag the build with).</summary>
    public string? Image { get; set; }
    /// <summary>Build from a Dockerfile instead of pulling.</summary>
    public Build? Build { get; set; }
    /// <summary>Overrides the image's ENTRYPOINT.</summary>
    public List<string>? Entrypoint { get; set; }
    /// <summary>Overrides the image's CMD.</summary>
    public List<string>? Command { get; set; }
    /// <summary>Environment variables (values are compose strings: <c>${NAME}</c> interpolates).</summary>
    public SortedDictionary<string, string>? Environment { get; set; }
    /// <summary>Ports reachable from other services only (documentation; no host port).</summary>
    public List<string>? Expose { get; set; }
    /// <summary>Ports published on the host.</summary>
    public List<Port>? Ports { get; set; }
    /// <summary>Mounts (named volumes, binds, tmpfs).</summary>
    public List<Mount>? Volumes { get; set; }
    /// <summary>Start order and readiness conditions.</summary>
    public SortedDictionary<string, DependsOn>? DependsOn { get; set; }
    /// <summary>Container health probe.</summary>
    public Healthcheck? Healthcheck { get; set; }
    /// <summary><c>no</c>, <c>always</c>, <c>on-failure</c>, <c>unless-stopped</c>.</summary>
    public string? Restart { get; set; }
    /// <summary>Time between SIGTERM and SIGKILL, e.g. <c>10s</c>.</summary>
    public string? StopGracePeriod { get; set; }
    /// <summary>Log driver and its rotation options.</summary>
    public Logging? Logging { get; set; }
    /// <summary>Resource limits.</summary>
    public Deploy? Deploy { get; set; }
}

/// <summary><c>build:</c> of a service.</summary>
public sealed class Build
{
    /// <summary>Build context, relative to the compose file.</summary>
    public string? Context { get; set; }
    /// <summary>Dockerfile, relative to the context.</summary>
    public string? Dockerfile { get; set; }
    /// <summary>Multi-stage target.</summary>
    public string? Target { get; set; }
}

/// <summary>
/// A published port: the long syntax (so YAML 1.1 never reads <c>8000:8000</c> as a number), or, bound to one host
/// address, the quoted short syntax <c>"ADDRESS:PUBLISHED:TARGET/PROTOCOL"</c> (docker-compose 1.29's long syntax
/// has no address key, and its <c>published</c> takes only a number).
/// </summary>
public sealed class Port
{
    /// <summary>Container port.</summary>
    public int Target { get; set; }
    /// <summary>Host port, or a compose string such as <c>${HTTP_PORT:-80}</c>.</summary>
    public string? Published { get; set; }
    /// <summary>Host address the port is bound to (null: every address), or a compose string such as <c>${NGINX_HOST_IP:-0.0.0.0}</c>.</summary>
    public string? HostIp { get; set; }
    /// <summary>tcp or udp.</summary>
    public string Protocol { get; set; } = "tcp";
}

/// <summary>A mount (long syntax): <c>volume</c>, <c>bind</c> or <c>tmpfs</c>.</summary>
public sealed class Mount
{
    /// <summary><c>volume</c>, <c>bind</c> or <c>tmpfs</c>.</summary>
    public string Type { get; set; } = "volume";
    /// <summary>Volume name or host path (none for tmpfs).</summary>
    public string? Source { get; set; }
    /// <summary>Path in the container; overrides replace the mount with the same target.</summary>
    public string Target { get; set; } = "";
    /// <summary>Mount read-only.</summary>
    [YamlMember(Alias = "read_only")]
    public bool? ReadOnly { get; set; }
}

/// <summary>A <c>depends_on</c> entry (long syntax).</summary>
/// <param name="Condition"><c>service_started</c>, <c>service_healthy</c> or <c>service_completed_successfully</c>.</param>
public sealed record DependsOn(string Condition)
{
    /// <summary>Wait until the dependency's healthcheck passes.</summary>
    public static DependsOn Healthy { get; } = new("service_healthy");
    /// <summary>Wait until the dependency's container has started.</summary>
    public static DependsOn Started { get; } = new("service_started");
    /// <summary>Wait until the dependency exited with code 0.</summary>
    public static DependsOn Completed { get; } = new("service_completed_successfully");
}

/// <summary>A container health probe.</summary>
public sealed class Healthcheck
{
    /// <summary><c>["CMD", …]</c> or <c>["CMD-SHELL", "…"]</c>.</summary>
    public List<string> Test { get; set; } = [];
    /// <summary>Time between probes.</summary>
    public string? Interval { get; set; }
    /// <summary>Time a probe may take.</summary>
    public string? Timeout { get; set; }
    /// <summary>Failures before unhealthy.</summary>
    public int? Retries { get; set; }
    /// <summary>Grace period after start during which failures do not count.</summary>
    public string? StartPeriod { get; set; }
}

/// <summary>Log driver of a service.</summary>
public sealed class Logging
{
    /// <summary>Driver, e.g. <c>json-file</c>.</summary>
    public string Driver { get; set; } = "json-file";
    /// <summary>Driver options, e.g. <c>max-size</c>.</summary>
    public SortedDictionary<string, string> Options { get; set; } = [];
}

/// <summary><c>deploy:</c> of a service (only resource limits are used).</summary>
public sealed class Deploy
{
    /// <summary>Resource constraints.</summary>
    public DeployResources? Resources { get; set; }
}

/// <summary><c>deploy.resources</c>.</summary>
public sealed class DeployResources
{
    /// <summary>Upper bounds.</summary>
    public ResourceLimits? Limits { get; set; }
}

/// <summary>CPU and memory bounds.</summary>
/// <param name="Cpus">CPUs, e.g. <c>1.0</c> (a string, as the spec allows).</param>
/// <param name="Memory">Memory, e.g. <c>512M</c>.</param>
public sealed record ResourceLimits(string Cpus, string Memory);
