// Creates a business. Its secret is made here and shown in this answer only: GET never shows it.
import type { Prisma } from '../../prisma/generated/client.js';
import { isUniqueViolation, type PrismaClient } from '../../infra/database.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import {
  BUSINESS_ID,
  BUSINESS_ID_MESSAGE,
  BUSINESS_VIEW_FIELDS,
  businessView,
  contactEmailProblems,
  dispatcherProblems,
  nameProblems,
  newBusinessSecret,
  storedSettings,
  type BusinessWithSecret,
  type DispatcherInput,
  type SettingsValidator,
} from './business.js';

export type NewBusiness = { id: string; name: string; contactEmail: string; dispatcher: DispatcherInput };

/** Every problem of `b`, by field; the dispatcher's settings are checked by its plugin (`validate`). */
export function newBusinessProblems(b: NewBusiness, validate: SettingsValidator): { field: string; message: string }[] {
  return [
    ...(BUSINESS_ID.test(b.id) ? [] : [{ field: 'id', message: BUSINESS_ID_MESSAGE }]),
    ...nameProblems(b.name),
    ...contactEmailProblems(b.contactEmail),
    ...dispatcherProblems(b.dispatcher, validate),
  ];
}

/** Creates `b`; InvalidInput naming every bad field, Conflict when the id is taken. */
export async function createBusiness(prisma: PrismaClient, b: NewBusiness, validate: SettingsValidator): Promise<BusinessWithSecret> {
  const errors = newBusinessProblems(b, validate);
  if (errors.length > 0) throw new InvalidInputError(errors);
  const secret = newBusinessSecret();
  try {
    const row = await prisma.business.create({
      data: {
        id: b.id,
        name: b.name.trim(),
        contactEmail: b.contactEmail,
        dispatcher: b.dispatcher.plugin,
        dispatcherSettings: storedSettings(b.dispatcher) as Prisma.InputJsonValue,
        secret,
      },
      select: BUSINESS_VIEW_FIELDS,
    });
    return { ...businessView(row), secret };
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('BUSINESS_EXISTS', `business ${b.id} already exists`, 'id');
    throw err;
  }
}
