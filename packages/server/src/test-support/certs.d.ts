export interface TestCerts {
    ca: Buffer;
    serverKey: Buffer;
    serverCert: Buffer;
    clientKey: Buffer;
    clientCert: Buffer;
    /** A client certificate signed by a different CA (must be refused). */
    strangerKey: Buffer;
    strangerCert: Buffer;
    otherCa: Buffer;
    remove(): void;
}
export declare function makeCerts(): TestCerts;
//# sourceMappingURL=certs.d.ts.map