// A customer's bearer token as the shop's identity provider would sign it: HS256 with the
// secret a test gave the service (CUSTOMER_JWT_SECRET), the development issuer and audience.
import { SignJWT } from 'jose';

export async function customerToken(customerId: string, secret: string): Promise<string> {
  return new SignJWT()
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuer('order-saga-dev')
    .setAudience('order-saga')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}

/** The Authorization header of `customerId`. */
export async function customerAuth(customerId: string, secret: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await customerToken(customerId, secret)}` };
}
