using System.Text.RegularExpressions;
using Ichrisbirch.AppHost;
using Ichrisbirch.Hosting.Publishing;
using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>
/// The production Ingresses serve https only, on the host and with the certificate the publish is given, as compose's
/// nginx does; without them the Kubernetes step stops with one line and the compose bundle is still written.
/// </summary>
public class KubernetesIngressTlsTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private const string ForceSslRedirect = "nginx.ingress.kubernetes.io/force-ssl-redirect";
    private const string SslRedirect = "nginx.ingress.kubernetes.io/ssl-redirect";
    private const string ClusterIssuer = "cert-manager.io/cluster-issuer";

    /// <summary>
    /// What ingress-nginx sends on a TLS host with its default ConfigMap: <c>hsts: "true"</c>, <c>hsts-max-age: "31536000"</c>,
    /// <c>hsts-include-subdomains: "true"</c>, <c>hsts-preload: "false"</c> (internal/ingress/controller/config/config.go).
    /// </summary>
    private const string IngressNginxDefaultHsts = "max-age=31536000; includeSubDomains";

    private List<Dictionary<object, object>> Ingresses(string overlay) => [.. manifests.Objects[overlay].Where(d => (string)d["kind"] == "Ingress")];

    private static IEnumerable<string> AnnotationKeys(Dictionary<object, object> ingress)
        => (ingress.At("metadata", "annotations") as Dictionary<object, object> ?? []).Keys.Cast<string>();

    [Fact]
    public void Every_production_Ingress_answers_only_the_configured_host_over_tls_with_its_secret_and_redirects_http()
    {
        var ingresses = Ingresses("production");
        Assert.Equal(["api-ingress", "app-ingress"], ingresses.Select(i => (string)i.At("metadata", "name")!).Order(StringComparer.Ordinal));
        foreach (var ingress in ingresses)
        {
            Assert.All(ingress.Items("spec", "rules"), rule => Assert.Equal(Publisher.IngressHost, rule.At("host")));
            var tls = Assert.Single(ingress.Items("spec", "tls"));
            Assert.Equal([Publisher.IngressHost], Assert.IsType<List<object>>(tls["hosts"]).Cast<string>());
            Assert.Equal(Publisher.TlsSecretName, tls["secretName"]);
            Assert.Equal("true", ingress.At("metadata", "annotations", ForceSslRedirect));
            Assert.Equal("true", ingress.At("metadata", "annotations", SslRedirect));
        }
    }

    [Fact]
    public async Task The_cert_manager_issuer_is_named_once_for_the_shared_certificate_and_only_when_one_is_set()
    {
        // cert-manager lets one Ingress own a certificate: the first route's asks for it, the other shares its Secret.
        var named = Ingresses("production").Where(i => AnnotationKeys(i).Contains(ClusterIssuer)).ToList();
        Assert.Equal(("app-ingress", Publisher.ClusterIssuer), ((string)Assert.Single(named).At("metadata", "name")!, (string)named[0].At("metadata", "annotations", ClusterIssuer)!));

        var output = await Manifests.WriteAsync(Program.Ichrisbirch, configure: bundle => bundle.ClusterIssuer = "");
        try
        {
            var files = Directory.GetFiles(Path.Combine(output, "k8s", "base"), "*-ingress.yaml");
            Assert.Equal(2, files.Length);
            Assert.All(files, file => Assert.DoesNotContain("cert-manager.io", File.ReadAllText(file)));
            Assert.All(files, file => Assert.Contains($"secretName: {Publisher.TlsSecretName}", File.ReadAllText(file)));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Theory]
    [InlineData("development")]
    [InlineData("testing")]
    public void Development_and_testing_overlays_stay_plain_http_on_any_host(string overlay)
    {
        var ingresses = Ingresses(overlay);
        Assert.Equal(2, ingresses.Count);
        foreach (var ingress in ingresses)
        {
            Assert.Null(ingress.At("spec", "tls"));
            Assert.All(ingress.Items("spec", "rules"), rule => Assert.Null(rule.At("host")));
            Assert.DoesNotContain(AnnotationKeys(ingress), k => k is ForceSslRedirect or SslRedirect or ClusterIssuer);
        }
    }

    [Fact]
    public void Compose_and_Kubernetes_entries_agree_on_https_only_with_http_redirected_and_the_same_HSTS()
    {
        // compose: nginx serves https unless .env opts out, its port 80 only redirects, and the https server sends HSTS.
        var nginx = Publisher.ReadYaml(Path.Combine(manifests.Output, "docker-compose.yml")).Map("services", "nginx", "environment");
        Assert.Equal("${NGINX_PROTOCOL:-https}", nginx["NGINX_PROTOCOL"]);
        var https = File.ReadAllText(Path.Combine(manifests.Output, "nginx", "https.conf"));
        Assert.Matches(new Regex(@"listen 80;[^}]*\}\s*location / \{\s*return 301 https://"), https);
        var hsts = Regex.Match(https, "add_header Strict-Transport-Security \"([^\"]+)\" always;");
        Assert.True(hsts.Success, "compose's https entry sends no HSTS");

        // Kubernetes: every production Ingress is TLS with the redirect forced, and HSTS is the controller's default,
        // which nothing of ours overrides (a snippet annotation would be refused by a default controller anyway).
        Assert.All(Ingresses("production"), i => Assert.True(i.At("spec", "tls") is not null && (string?)i.At("metadata", "annotations", ForceSslRedirect) == "true",
            $"{i.At("metadata", "name")} is not https-only"));
        Assert.Equal(IngressNginxDefaultHsts, hsts.Groups[1].Value);
        Assert.DoesNotContain(Ingresses("production").SelectMany(AnnotationKeys), k => k.Contains("snippet", StringComparison.Ordinal) || k.Contains("hsts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_publish_without_a_host_stops_the_Kubernetes_step_with_one_line_and_still_writes_the_compose_bundle()
    {
        using var scratch = new ScratchDirectory();
        var dotnet = Publisher.RequireTool("dotnet", "install the .NET SDK");
        var (exit, text) = await Processes.RunAsync(dotnet,
            ["run", "--project", "AppHost", "--no-build", "--no-launch-profile", "--", "--operation", "publish", "--step", "publish", "--output-path", scratch.Path,
                $"--Ichrisbirch:Kubernetes:TlsSecretName={Publisher.TlsSecretName}"],
            Publisher.RepoRoot, new Dictionary<string, string>
            {
                ["DOTNET_ENVIRONMENT"] = "Production", ["ASPIRE_ENVIRONMENT"] = "Production",
                ["Ichrisbirch__Kubernetes__Host"] = "", ["Ichrisbirch__Kubernetes__TlsSecretName"] = "", ["Ichrisbirch__Kubernetes__CertManagerIssuer"] = "",
            });

        Assert.True(exit == 1, $"exit {exit}:\n{text}");
        Assert.Equal($"aspire publish (kubernetes): The Production Ingresses serve https only and have no host: give the host and the Secret of its certificate "
            + $"with WithIngressTls(host, tlsSecretName), or {KubernetesSettings.Hint}.", Assert.Single(text.Split('\n'), l => l.StartsWith("aspire publish (", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", text); // no stack trace
        Assert.True(File.Exists(Path.Combine(scratch.Path, "docker-compose.yml")), $"the compose bundle was not written:\n{text}");
        Assert.False(Directory.Exists(Path.Combine(scratch.Path, "k8s")), "the Kubernetes step wrote manifests without https");
    }

    public static TheoryData<string?, string?, string?, string> Refused => new()
    {
        { "www.example.com", " ", null, "The Production Ingresses serve https only and have no TLS secret: give the host and the Secret of its certificate with WithIngressTls(host, tlsSecretName)" },
        { "https://www.example.com", "www-tls", null, "The Ingress host 'https://www.example.com' is not a DNS name (lower-case letters, digits, '-' and '.'; no scheme, port, path or IP address): give one such as www.example.com" },
        { "www.example.com:443", "www-tls", null, "The Ingress host 'www.example.com:443' is not a DNS name (lower-case letters, digits, '-' and '.'; no scheme, port, path or IP address): give one such as www.example.com" },
        { "10.0.0.1", "www-tls", null, "The Ingress host '10.0.0.1' is not a DNS name (lower-case letters, digits, '-' and '.'; no scheme, port, path or IP address): give one such as www.example.com" },
        { "www.example.com", "Www_TLS", null, "The TLS secret name 'Www_TLS' is not a Kubernetes name (lower-case letters, digits, '-' and '.'): give one such as www-example-com-tls" },
        { "*.example.com", "www-tls", "Lets Encrypt", "The cert-manager ClusterIssuer 'Lets Encrypt' is not a Kubernetes name (lower-case letters, digits, '-' and '.'): give the name of yours, such as letsencrypt-prod" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_host_secret_or_issuer_Kubernetes_would_refuse_stops_the_publish_with_one_line_naming_the_settings(string? host, string? secret, string? issuer, string direct)
    {
        var error = await Assert.ThrowsAsync<PublishException>(() => Manifests.WriteAsync(Program.Ichrisbirch,
            configure: bundle => (bundle.IngressHost, bundle.TlsSecretName, bundle.ClusterIssuer) = (host, secret, issuer)));
        Assert.Equal($"{direct}, or {KubernetesSettings.Hint}.", error.Message);
    }
}
