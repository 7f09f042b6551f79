namespace Ichrisbirch.AppHost;

/// <summary>
/// Where the published Kubernetes production overlay is reached (<c>Ichrisbirch:Kubernetes</c>): deployer input, so
/// no default; given on the publish's command line, in its environment or in appsettings.json.
/// </summary>
public sealed record KubernetesSettings
{
    /// <summary>The public host name of the production Ingresses (e.g. www.example.com).</summary>
    public string? Host { get; init; }
    /// <summary>The Secret holding the host's certificate and key, made by the deployer or by cert-manager.</summary>
    public string? TlsSecretName { get; init; }
    /// <summary>A cert-manager ClusterIssuer that issues the certificate (optional).</summary>
    public string? CertManagerIssuer { get; init; }

    /// <summary>How to give the settings, appended to the publish's one line when they are missing or wrong.</summary>
    public static readonly string Hint = $"pass --{Key}:Host=www.example.com --{Key}:TlsSecretName=www-example-com-tls (optional: --{Key}:CertManagerIssuer=NAME) "
        + $"to the publish, or set {Key.Replace(":", "__", StringComparison.Ordinal)}__Host etc. in its environment";

    private const string Key = $"{IchrisbirchSettings.SectionName}:Kubernetes";
}
