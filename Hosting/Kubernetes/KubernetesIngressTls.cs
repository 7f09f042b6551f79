using System.Net;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// https in the base environment: each Ingress answers only the bundle's host, with the certificate of its TLS Secret,
/// and ingress-nginx redirects http to https (308), also behind a load balancer that ends TLS itself. HSTS is the
/// controller's: ingress-nginx sends <c>Strict-Transport-Security: max-age=31536000; includeSubDomains</c> on every TLS
/// host by default (its ConfigMap keys <c>hsts</c>, <c>hsts-max-age</c>, <c>hsts-include-subdomains</c>); it has no
/// per-Ingress HSTS annotation, and a default controller refuses snippet annotations. Other environments stay plain http.
/// </summary>
internal static class KubernetesIngressTls
{
    /// <summary>cert-manager's ingress-shim: issue the certificate of <c>spec.tls</c> with this ClusterIssuer.</summary>
    public const string ClusterIssuerAnnotation = "cert-manager.io/cluster-issuer";

    /// <summary>ingress-nginx: redirect http to https even when TLS ends before the controller.</summary>
    public const string ForceSslRedirectAnnotation = "nginx.ingress.kubernetes.io/force-ssl-redirect";

    /// <summary>ingress-nginx: redirect http to https (its default for a TLS Ingress, stated so that no ConfigMap turns it off).</summary>
    public const string SslRedirectAnnotation = "nginx.ingress.kubernetes.io/ssl-redirect";

    // A lower-case RFC 1123 subdomain: what Kubernetes accepts as an Ingress host (besides a leading "*.") and as an object name.
    private static readonly Regex s_dnsName = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant);

    /// <summary>Stops the publish with one line when the bundle has routes but no valid host and TLS Secret, or names an invalid issuer.</summary>
    public static void Check(KustomizeBundleResource bundle)
    {
        if (bundle.Routes.Count == 0) return;
        var (host, secret, issuer) = (bundle.IngressHost, bundle.TlsSecretName, bundle.ClusterIssuer);
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(secret))
        {
            throw Fix(bundle, $"The {bundle.BaseEnvironment} Ingresses serve https only and have no {(string.IsNullOrWhiteSpace(host) ? "host" : "TLS secret")}: "
                + "give the host and the Secret of its certificate with WithIngressTls(host, tlsSecretName)");
        }
        if (!IsDnsName(host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host) || IPAddress.TryParse(host, out _))
        {
            throw Fix(bundle, $"The Ingress host '{host}' is not a DNS name (lower-case letters, digits, '-' and '.'; no scheme, port, path or IP address): give one such as www.example.com");
        }
        if (!IsDnsName(secret))
        {
            throw Fix(bundle, $"The TLS secret name '{secret}' is not a Kubernetes name (lower-case letters, digits, '-' and '.'): give one such as www-example-com-tls");
        }
        if (!string.IsNullOrWhiteSpace(issuer) && !IsDnsName(issuer))
        {
            throw Fix(bundle, $"The cert-manager ClusterIssuer '{issuer}' is not a Kubernetes name (lower-case letters, digits, '-' and '.'): give the name of yours, such as letsencrypt-prod");
        }
    }

    /// <summary>
    /// Makes a base-environment Ingress answer the host over https only; the issuer annotation goes on
    /// <paramref name="requestsCertificate"/> only: cert-manager lets one Ingress own a certificate, the others share its Secret.
    /// </summary>
    public static void Apply(V1Ingress ingress, KustomizeBundleResource bundle, bool requestsCertificate)
    {
        var (host, secret) = (bundle.IngressHost, bundle.TlsSecretName);
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(secret)) return; // never after Check, which refuses routes without them
        foreach (var rule in ingress.Spec.Rules) rule.Host = host;
        ingress.Spec.Tls = [new V1IngressTLS { Hosts = [host], SecretName = secret }];
        var annotations = new SortedDictionary<string, string>(ingress.Metadata.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [ForceSslRedirectAnnotation] = "true",
            [SslRedirectAnnotation] = "true",
        };
        if (requestsCertificate && !string.IsNullOrWhiteSpace(bundle.ClusterIssuer)) annotations[ClusterIssuerAnnotation] = bundle.ClusterIssuer;
        ingress.Metadata.Annotations = annotations;
    }

    private static bool IsDnsName(string name) => name.Length <= 253 && s_dnsName.IsMatch(name);

    private static PublishException Fix(KustomizeBundleResource bundle, string direct) => new(SetupHintAnnotation.Fix(bundle, direct));
}
