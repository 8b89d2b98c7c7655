import { type DescFile, type DescMessage, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import type { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ServerReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The question of one ServerReflectionRequest, identical in v1 and v1alpha. */
type Question =
  | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: undefined; value?: undefined };

/** The answer to one question, identical in v1 and v1alpha. */
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/**
 * The schema of a set of services, indexed for reflection: every file they
 * need, by file name and by each symbol that a file defines.
 */
export class ReflectionIndex {
  private readonly serviceNames: string[];
  private readonly filesByName = new Map<string, DescFile>();
  private readonly filesBySymbol = new Map<string, DescFile>();
  private readonly messages = new Map<string, DescMessage>();

  constructor(services: readonly DescService[]) {
    this.serviceNames = services.map((service) => service.typeName);
    for (const service of services) {
      this.addFile(service.file);
    }
  }

  /** Answers one reflection question. Errors are answers too, so the stream goes on. */
  answer(question: Question): Answer {
    switch (question.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } };
      case "fileByFilename":
        return this.describeFile(this.filesByName.get(question.value), `file ${JSON.stringify(question.value)}`);
      case "fileContainingSymbol":
        return this.describeFile(this.filesBySymbol.get(question.value), `symbol ${JSON.stringify(question.value)}`);
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = question.value;
        const extension = this.messages.get(containingType) === undefined ? undefined : this.findExtension(containingType, extensionNumber);
        return this.describeFile(extension, `extension ${extensionNumber} of ${JSON.stringify(containingType)}`);
      }
      case "allExtensionNumbersOfType": {
        if (!this.messages.has(question.value)) {
          return notFound(`message ${JSON.stringify(question.value)}`);
        }
        const numbers = [...this.filesByName.values()].flatMap((file) => file.extensions.filter((extension) => extension.extendee.typeName === question.value).map((extension) => extension.number));
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: question.value, extensionNumber: numbers } };
      }
      case undefined:
        return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "reflection request has no question; set one of its message_request fields" } };
    }
  }

  private findExtension(containingType: string, extensionNumber: number): DescFile | undefined {
    return [...this.filesByName.values()].find((file) => file.extensions.some((extension) => extension.extendee.typeName === containingType && extension.number === extensionNumber));
  }

  /** Returns the file and every file it imports, directly or not, as grpc-go does. */
  private describeFile(file: DescFile | undefined, what: string): Answer {
    if (file === undefined) {
      return notFound(what);
    }
    const files = new Map<string, DescFile>();
    const visit = (current: DescFile) => {
      if (!files.has(current.proto.name)) {
        files.set(current.proto.name, current);
        current.dependencies.forEach(visit);
      }
    };
    visit(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: [...files.values()].map((each) => toBinary(FileDescriptorProtoSchema, each.proto)) } };
  }

  private addFile(file: DescFile): void {
    if (this.filesByName.has(file.proto.name)) {
      return;
    }
    this.filesByName.set(file.proto.name, file);
    file.dependencies.forEach((dependency) => this.addFile(dependency));
    for (const service of file.services) {
      this.filesBySymbol.set(service.typeName, file);
      for (const method of service.methods) {
        this.filesBySymbol.set(`${service.typeName}.${method.name}`, file);
      }
    }
    for (const extension of file.extensions) {
      this.filesBySymbol.set(extension.typeName, file);
    }
    for (const enumeration of file.enums) {
      this.filesBySymbol.set(enumeration.typeName, file);
    }
    file.messages.forEach((message) => this.addMessage(message, file));
  }

  private addMessage(message: DescMessage, file: DescFile): void {
    this.messages.set(message.typeName, message);
    this.filesBySymbol.set(message.typeName, file);
    for (const enumeration of message.nestedEnums) {
      this.filesBySymbol.set(enumeration.typeName, file);
    }
    for (const extension of message.nestedExtensions) {
      this.filesBySymbol.set(extension.typeName, file);
    }
    message.nestedMessages.forEach((nested) => this.addMessage(nested, file));
  }
}

function notFound(what: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}

type ReflectionImpl = ServiceImpl<typeof ServerReflectionV1> & ServiceImpl<typeof ServerReflectionV1Alpha>;

/**
 * Handlers of grpc.reflection.v1.ServerReflection and of its v1alpha
 * predecessor, which older tools still call; both versions have the same
 * messages, so one implementation serves both.
 */
export function createReflectionService(index: ReflectionIndex): ReflectionImpl {
  return {
    async *serverReflectionInfo(requests: AsyncIterable<{ host: string; messageRequest: Question }>) {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: index.answer(request.messageRequest) };
      }
    },
  } as ReflectionImpl;
}
