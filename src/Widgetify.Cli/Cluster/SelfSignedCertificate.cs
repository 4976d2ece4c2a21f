using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Widgetify.Cli.Cluster;

/// <summary>The balancer's certificate and key in one PEM file, as HAProxy's <c>crt</c> reads it: made once for
/// localhost and 127.0.0.1 and kept (clients that pinned it keep working across restarts), or the operator's own.</summary>
internal static class SelfSignedCertificate
{
    public const string FileName = "tls.pem";

    /// <summary>Writes the PEM HAProxy serves (owner-only) and returns its path: from <paramref name="certFile"/> and
    /// <paramref name="keyFile"/> when given, else the self-signed one made earlier, else a new one valid for a year.</summary>
    public static string Ensure(string clusterFolder, string? certFile, string? keyFile, TimeProvider timeProvider)
    {
        var path = Path.Combine(clusterFolder, FileName);
        if (certFile is not null && keyFile is not null)
        {
            var certificate = File.ReadAllText(certFile);
            var key = File.ReadAllText(keyFile);
            // Fails here, with the file names, rather than in HAProxy's log.
            using var check = X509Certificate2.CreateFromPem(certificate, key);
            SecretFile.Write(path, certificate.TrimEnd() + "\n" + key.TrimEnd() + "\n");
            return path;
        }

        var madeHere = path + ".self-signed";
        if (!File.Exists(madeHere) || ExpiresSoon(madeHere, timeProvider))
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", ecdsa, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var now = timeProvider.GetUtcNow();
            using var made = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
            SecretFile.Write(madeHere, made.ExportCertificatePem() + "\n" + ecdsa.ExportPkcs8PrivateKeyPem() + "\n");
        }

        SecretFile.Write(path, File.ReadAllText(madeHere));
        return path;
    }

    private static bool ExpiresSoon(string pemFile, TimeProvider timeProvider)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(pemFile));
        return certificate.NotAfter.ToUniversalTime() < timeProvider.GetUtcNow().UtcDateTime.AddDays(30);
    }
}
